"""The rights card as a picture: a 1080×1920 portrait PNG for a phone's lock screen, one per language.

Layout: a red band with the heading, the English statement in large bold type, the explanation in the
reader's language, the hotline in a tinted box and the small print at the bottom. Text wraps by its
measured width and shrinks step by step, never below the smallest sizes, until everything fits; a card
that cannot fit at those sizes is an error naming the language and the field to shorten. Nothing is ever
drawn outside the margins.

Telegram recompresses a photo to about 1280 px on its long side (here 720×1280, two thirds): the
smallest sizes are chosen so that the statement (40 px, 27 px after that) and the small print (24 px,
16 px after that) stay readable.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

from PIL import Image, ImageDraw
from PIL.ImageFont import FreeTypeFont

from bot.card.fonts import CardFonts, font
from bot.knowledge.card_file import CardSet, CardText

RENDER_VERSION = 1  # change it when the drawing changes, so every content hash (and Telegram file_id) renews
WIDTH, HEIGHT = 1080, 1920  # pixels
# Set as a lock screen on a 9:19.5 phone, the picture fills the height and loses about 97 px on each side,
# and the clock covers roughly the top fifth: text stays inside those.
SIDE = 120  # left and right margin, pixels
CLOCK_SPACE = 400  # empty red band above the heading, pixels
BOTTOM = 56  # space under the small print, pixels

WHITE = (255, 255, 255)
BAND = (176, 0, 32)  # dark red: white text on it has a contrast ratio of about 7:1
INK = (0, 0, 0)
BODY = (20, 20, 20)
SMALL = (55, 55, 55)  # about 11:1 on white
TINT = (253, 236, 238)  # the hotline box
RULE = (176, 0, 32)


@dataclass(frozen=True)
class Style:
    """How one field is drawn: font weight, size range (pixels, em size), colour, indent (pixels)."""

    bold: bool
    size: int  # preferred size
    minimum: int  # never smaller
    color: tuple[int, int, int]
    indent: int = 0  # extra left margin for the text, pixels
    indent_right: int = 0  # extra right margin, pixels
    centered: bool = False


STYLES: dict[str, Style] = {
    "heading": Style(bold=True, size=66, minimum=44, color=WHITE, centered=True),
    "statement": Style(bold=True, size=60, minimum=40, color=INK),
    "explanation": Style(bold=False, size=40, minimum=30, color=BODY),
    "hotline": Style(bold=True, size=38, minimum=30, color=INK, indent=40, indent_right=28),
    "small_print": Style(bold=False, size=28, minimum=24, color=SMALL),
}
LINE_SPACING = 1.3  # line pitch as a multiple of the type size
SCALE_STEP = 0.02  # how much all sizes shrink per attempt


class CardFitError(ValueError):
    """The card does not fit at the smallest type sizes; ``field`` is the text to shorten."""

    def __init__(self, lang: str, field: str, message: str) -> None:
        self.lang = lang
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class TextBox:
    """One laid-out text: ``bbox`` is where its ink is, (left, top, right, bottom) in pixels."""

    field: str
    bbox: tuple[int, int, int, int]
    font_size: int  # pixels
    lines: tuple[str, ...]


@dataclass(frozen=True)
class _Block:
    field: str
    style: Style
    size: int
    lines: tuple[str, ...]
    height: int  # pixels, from the top of the first line to the bottom of the last


@dataclass(frozen=True)
class CardLayout:
    """Where everything goes: text positions (x, y of each line's top-left), the band and the hotline box."""

    lang: str
    band_bottom: int
    hotline_box: tuple[int, int, int, int]
    placed: tuple[tuple[_Block, tuple[tuple[int, int], ...]], ...]  # each block and its lines' top-left corners
    boxes: tuple[TextBox, ...]


@dataclass(frozen=True)
class RenderedCard:
    """The card picture in one language: PNG bytes and, for checks, the laid-out text boxes."""

    lang: str
    content_hash: str
    png: bytes
    width: int
    height: int
    boxes: tuple[TextBox, ...]


def _face(fonts: CardFonts, style: Style, size: int) -> FreeTypeFont:
    return font(fonts.bold if style.bold else fonts.regular, size)


def _width(face: FreeTypeFont, text: str) -> int:
    return int(face.getbbox(text, anchor="la")[2])


def _break_word(face: FreeTypeFont, word: str, max_width: int) -> list[str]:
    """A word wider than ``max_width`` on its own, cut between characters into pieces that fit."""
    pieces: list[str] = []
    while _width(face, word) > max_width:
        cut = 1
        while cut < len(word) and _width(face, word[: cut + 1]) <= max_width:
            cut += 1
        pieces.append(word[:cut])
        word = word[cut:]
    return [*pieces, word] if word else pieces


def wrap(text: str, face: FreeTypeFont, max_width: int) -> list[str]:
    """``text`` broken into lines at spaces so that each line's ink is at most ``max_width`` pixels wide;
    a word wider than that on its own is broken between characters.

    Words are added while their summed advance widths fit; each line's real ink box is then measured and
    words move to the next line until it fits.
    """
    space = face.getlength(" ")
    words: list[str] = []
    for word in text.split(" "):
        words.extend(_break_word(face, word, max_width) if _width(face, word) > max_width else [word])
    lines: list[str] = []
    i = 0
    while i < len(words):
        j, advance = i + 1, face.getlength(words[i])
        while j < len(words) and advance + space + face.getlength(words[j]) <= max_width:
            advance += space + face.getlength(words[j])
            j += 1
        while j > i + 1 and _width(face, " ".join(words[i:j])) > max_width:
            j -= 1
        lines.append(" ".join(words[i:j]))
        i = j
    return lines


def _block(fonts: CardFonts, field: str, text: str, size: int) -> _Block:
    style = STYLES[field]
    face = _face(fonts, style, size)
    lines = tuple(wrap(text, face, WIDTH - 2 * SIDE - style.indent - style.indent_right))
    ascent, descent = face.getmetrics()
    pitch = round(size * LINE_SPACING)
    return _Block(field, style, size, lines, (len(lines) - 1) * pitch + ascent + descent)


def _gaps(scale: float) -> dict[str, int]:
    """Vertical spaces in pixels at a given scale: band padding, between blocks, hotline box padding."""
    return {
        "band_top": CLOCK_SPACE,
        "band_bottom": max(28, round(44 * scale)),
        "after_band": max(32, round(60 * scale)),
        "after_statement": max(28, round(52 * scale)),  # the thin rule sits in the middle of it
        "box_pad": max(18, round(26 * scale)),
        "before_small": max(22, round(36 * scale)),
        "min_free": 24,  # at least this much between the explanation and the hotline box
    }


def _attempt(text: CardText, fonts: CardFonts, scale: float) -> tuple[dict[str, _Block], dict[str, int], int]:
    blocks = {
        field: _block(fonts, field, value, max(STYLES[field].minimum, round(STYLES[field].size * scale)))
        for field, value in text.drawn()
    }
    gaps = _gaps(scale)
    needed = (
        gaps["band_top"]
        + blocks["heading"].height
        + gaps["band_bottom"]
        + gaps["after_band"]
        + blocks["statement"].height
        + gaps["after_statement"]
        + blocks["explanation"].height
        + gaps["min_free"]
        + 2 * gaps["box_pad"]
        + blocks["hotline"].height
        + gaps["before_small"]
        + blocks["small_print"].height
        + BOTTOM
    )
    return blocks, gaps, needed


def layout_card(text: CardText, fonts: CardFonts | None = None) -> CardLayout:
    """Lay the card in one language out on 1080×1920 pixels: the largest type sizes (all shrinking together,
    none below its minimum) at which everything fits. Raises CardFitError naming the language and the
    field that takes the most room when even the smallest sizes do not fit.
    """
    fonts = fonts or CardFonts.shipped()
    blocks, gaps, needed = _attempt(text, fonts, 0.0)  # every size and space at its minimum
    if needed > HEIGHT:
        biggest = max(blocks.values(), key=lambda b: b.height)
        raise CardFitError(
            text.lang,
            biggest.field,
            f"the {text.lang!r} card does not fit even at the smallest type: it needs {needed} px of "
            f"height and has {HEIGHT}; shorten {text.lang}.{biggest.field} "
            f"({len(biggest.lines)} lines, {biggest.height} px at {biggest.size} px type)",
        )
    lowest = min(style.minimum / style.size for style in STYLES.values())  # below it, nothing shrinks more
    scale = 1.0
    while scale >= lowest:
        attempt = _attempt(text, fonts, scale)
        if attempt[2] <= HEIGHT:
            blocks, gaps, needed = attempt
            break
        scale -= SCALE_STEP
    return _place(text.lang, fonts, blocks, gaps)


def _place(lang: str, fonts: CardFonts, blocks: dict[str, _Block], gaps: dict[str, int]) -> CardLayout:
    placed: list[tuple[_Block, tuple[tuple[int, int], ...]]] = []
    boxes: list[TextBox] = []

    def put(block: _Block, top: int) -> None:
        face = _face(fonts, block.style, block.size)
        pitch = round(block.size * LINE_SPACING)
        origins: list[tuple[int, int]] = []
        ink: list[tuple[int, int, int, int]] = []
        for i, line in enumerate(block.lines):
            left, t, right, b = (int(v) for v in face.getbbox(line, anchor="la"))
            x = (WIDTH - (right - left)) // 2 - left if block.style.centered else SIDE + block.style.indent
            y = top + i * pitch
            origins.append((x, y))
            ink.append((x + left, y + t, x + right, y + b))
        placed.append((block, tuple(origins)))
        bbox = (min(b[0] for b in ink), min(b[1] for b in ink), max(b[2] for b in ink), max(b[3] for b in ink))
        boxes.append(TextBox(block.field, bbox, block.size, block.lines))

    y = gaps["band_top"]
    put(blocks["heading"], y)
    band_bottom = y + blocks["heading"].height + gaps["band_bottom"]
    y = band_bottom + gaps["after_band"]
    put(blocks["statement"], y)
    y += blocks["statement"].height + gaps["after_statement"]
    put(blocks["explanation"], y)
    # The hotline and the small print sit at the bottom; the free space stays between.
    small_top = HEIGHT - BOTTOM - blocks["small_print"].height
    box_bottom = small_top - gaps["before_small"]
    box_top = box_bottom - 2 * gaps["box_pad"] - blocks["hotline"].height
    put(blocks["hotline"], box_top + gaps["box_pad"])
    put(blocks["small_print"], small_top)
    return CardLayout(lang, band_bottom, (SIDE, box_top, WIDTH - SIDE, box_bottom), tuple(placed), tuple(boxes))


def draw_card(layout: CardLayout, fonts: CardFonts | None = None) -> bytes:
    """The PNG bytes of a laid-out card (RGB, 1080×1920 pixels). The same layout always gives the same bytes."""
    fonts = fonts or CardFonts.shipped()
    image = Image.new("RGB", (WIDTH, HEIGHT), WHITE)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH - 1, layout.band_bottom - 1), fill=BAND)
    left, top, right, bottom = layout.hotline_box
    draw.rectangle((left, top, right - 1, bottom - 1), fill=TINT)
    draw.rectangle((left, top, left + 11, bottom - 1), fill=RULE)
    statement = next(b for b in layout.boxes if b.field == "statement")
    explanation = next(b for b in layout.boxes if b.field == "explanation")
    rule_y = (statement.bbox[3] + explanation.bbox[1]) // 2
    draw.rectangle((SIDE, rule_y - 1, WIDTH - SIDE - 1, rule_y + 1), fill=(200, 200, 200))
    for block, origins in layout.placed:
        face = _face(fonts, block.style, block.size)
        for line, xy in zip(block.lines, origins, strict=True):
            draw.text(xy, line, font=face, fill=block.style.color, anchor="la")
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def content_hash(text: CardText, fonts: CardFonts | None = None) -> str:
    """SHA-256 (hex) of everything that decides the picture: the drawn texts, the fonts, the size and
    ``RENDER_VERSION``. The caption is sent beside the picture, so it is not part of it.
    """
    fonts = fonts or CardFonts.shipped()
    content = {
        "version": RENDER_VERSION,
        "size": [WIDTH, HEIGHT],
        "fonts": fonts.fingerprint(),
        "lang": text.lang,
        "texts": dict(text.drawn()),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def render_card(text: CardText, fonts: CardFonts | None = None) -> RenderedCard:
    """Lay out and draw the card in one language (no cache). Raises CardFitError when it cannot fit."""
    fonts = fonts or CardFonts.shipped()
    layout = layout_card(text, fonts)
    png = draw_card(layout, fonts)
    return RenderedCard(text.lang, content_hash(text, fonts), png, WIDTH, HEIGHT, layout.boxes)


class CardRenderer:
    """Renders each language's card once and keeps it, keyed by its content hash, so an edited card (after
    ``update``) is drawn again while an unchanged one is not. Safe to call from several threads.
    """

    def __init__(self, cards: CardSet, fonts: CardFonts | None = None, keep: int = 16) -> None:
        self._cards = cards
        self._fonts = fonts or CardFonts.shipped()
        self._keep = keep
        self._cache: OrderedDict[str, RenderedCard] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def cards(self) -> CardSet:
        """The card texts being drawn."""
        return self._cards

    def update(self, cards: CardSet) -> None:
        """Use newly loaded card texts; languages whose content did not change keep their picture."""
        self._cards = cards

    def content_hash(self, lang: str) -> str:
        """The content hash of ``lang``'s card (hex SHA-256): keep a Telegram file_id beside it and send
        the picture again when it changes. KeyError for a language without a card.
        """
        return content_hash(self._cards.text(lang), self._fonts)

    def render(self, lang: str) -> RenderedCard:
        """``lang``'s card, drawn at most once per content hash. KeyError for a language without a card;
        CardFitError when it cannot fit.
        """
        text = self._cards.text(lang)
        key = content_hash(text, self._fonts)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
            card = render_card(text, self._fonts)
            self._cache[key] = card
            while len(self._cache) > self._keep:
                self._cache.popitem(last=False)
            return card
