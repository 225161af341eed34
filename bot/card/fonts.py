"""The fonts shipped for the rights card (DejaVu Sans, see ``bot/card/fonts/LICENSE-DejaVu.txt``) and glyph coverage.

Pillow's default bitmap font has no á, ñ, ¿ or ¡ and slim containers have no system fonts, so the card is
always drawn with the two font files shipped inside the package.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import ImageFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"

# U+10FFFD is a Unicode noncharacter: no font maps it, so every font draws its .notdef box for it.
_NEVER_IN_A_FONT = "\U0010fffd"
_PROBE_SIZE = 32  # pixels; the size glyphs are compared at
# Characters a layout never draws as glyphs (line breaks are made by the layout, spaces are collapsed).
_NOT_DRAWN = frozenset("\n\r\t")


@dataclass(frozen=True)
class CardFonts:
    """The regular and bold font files used to draw the card."""

    regular: Path
    bold: Path

    @classmethod
    def shipped(cls) -> CardFonts:
        """The DejaVu Sans files inside the package (``bot/card/fonts/``)."""
        return cls(FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf")

    def paths(self) -> tuple[Path, ...]:
        """The regular and bold font files."""
        return (self.regular, self.bold)

    def fingerprint(self) -> str:
        """SHA-256 of both font files, so a font change changes every card's content hash."""
        return _file_digest(self.regular) + _file_digest(self.bold)


@cache
def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@cache
def font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    """The font file at ``path`` at ``size`` pixels (em size), with Pillow's basic layout.

    The basic layout is used on purpose: raqm is not in every Pillow build, and the same text must give
    the same picture everywhere.
    """
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)


def _signature(face: ImageFont.FreeTypeFont, char: str) -> tuple[tuple[int, int], bytes, float]:
    mask = face.getmask(char)
    return mask.size, bytes(mask), face.getlength(char)


@cache
def _has_glyph(path: Path, char: str) -> bool:
    face = font(path, _PROBE_SIZE)
    return _signature(face, char) != _signature(face, _NEVER_IN_A_FONT)


def missing_glyphs(text: str, path: Path) -> list[str]:
    """The distinct characters of ``text`` that the font file at ``path`` cannot draw, in order of appearance.

    A character is missing when the font draws it exactly as it draws a noncharacter (its .notdef box,
    same pixels, same advance). Tabs and line breaks are not drawn and never count as missing.
    """
    out: list[str] = []
    for char in dict.fromkeys(text):
        if char not in _NOT_DRAWN and not _has_glyph(path, char):
            out.append(char)
    return out
