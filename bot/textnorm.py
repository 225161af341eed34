"""Text normalisation shared by the matcher and language detection: plain functions, no state."""

from __future__ import annotations

import re
import unicodedata
from typing import TypeVar

_WORD = re.compile(r"[a-z0-9]+")
_RUNS = re.compile(r"(.)\1{2,}")
_DOUBLES = re.compile(r"(.)\1+")
_SPANISH_MARKS = re.compile(r"[ñáéíóúü¿¡]")
_APOSTROPHE = re.compile(r"(?<=[a-z])['\u2019\u02bc`](?=[a-z])")
_DOTTED = re.compile(r"\b[a-z](?:\.[a-z])+\b")
_V = TypeVar("_V")


def _combining_marks() -> re.Pattern[str]:
    """Every combining mark of the Basic Multilingual Plane, as one character class (built once: a
    regular expression strips them from a long message far faster than a loop over its characters).
    Marks beyond it never sit on a letter a word is made of."""
    marks = [chr(c) for c in range(0x300, 0x10000) if unicodedata.combining(chr(c))]
    return re.compile("[" + "".join(re.escape(m) for m in marks) + "]")


_COMBINING = _combining_marks()


def rememberable(word: str) -> bool:
    """True when a word read in a message may be kept in a per-word cache: no digits, so phone numbers,
    A-numbers and case numbers are never remembered (README, "Privacy": words, not messages)."""
    return not any(c.isdigit() for c in word)


def remember(cache: dict[str, _V], word: str, value: _V, limit: int) -> None:
    """Keep ``value`` for ``word`` in a per-word ``cache`` (words repeat across messages), unless the cache
    already holds ``limit`` words or the word may not be kept (:func:`rememberable`). Every per-word cache
    of the matcher goes through here, so none can forget that rule."""
    if len(cache) < limit and rememberable(word):
        cache[word] = value


def fold(text: str) -> str:
    """Lowercase and strip accents: 'Qué PASÓ' -> 'que paso'. Keeps only ASCII letters and digits as words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return decomposed if decomposed.isascii() else _COMBINING.sub("", decomposed)


def squeeze(word: str) -> str:
    """Collapse three or more repeated letters: 'holaaaa' -> 'hola', 'pleeeease' -> 'please'."""
    return _RUNS.sub(r"\1", word)


def skeleton(word: str) -> str:
    """Every run of a repeated letter reduced to one: 'detainner' and 'detainer' share 'detainer'."""
    return _DOUBLES.sub(r"\1", word)


_PHONETIC = (
    ("qu", "k"),
    ("ch", "C"),
    ("ce", "se"),
    ("ci", "si"),
    ("ca", "ka"),
    ("co", "ko"),
    ("cu", "ku"),
    ("z", "s"),
    ("v", "b"),
    ("h", ""),
    ("x", "s"),
)


def phonetic(word: str) -> str:
    """A rough sound-alike key for Spanish spelling slips: 'bienen'~'vienen', 'ablar'~'hablar'."""
    out = skeleton(word.replace("ll", "y"))
    for old, new in _PHONETIC:
        out = out.replace(old, new)
    return out


def words(text: str) -> list[str]:
    """Folded, squeezed words of a text; punctuation, emoji and symbols separate words. (The whole text is
    squeezed at once: a run of three or more of one character never spans two words, since what separates
    words is never a letter or digit.)"""
    return _WORD.findall(squeeze(fold(text)))


def message_words(text: str) -> list[str]:
    """Folded, squeezed words of a short message, read as a person meant them: an apostrophe inside a
    word does not split it ("they're" -> 'theyre'), and letters separated by dots are one word
    ('s.o.s' -> 'sos', 'S.O.S.' -> 'sos')."""
    folded = _APOSTROPHE.sub("", fold(text))
    folded = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), folded)
    return _WORD.findall(squeeze(folded))


def spanish_marks(text: str) -> int:
    """How many characters only Spanish uses (ñ, accented vowels, ¿ ¡) the raw text has."""
    return len(_SPANISH_MARKS.findall(text.casefold()))


_SUFFIXES = (
    "amientos",
    "imientos",
    "amiento",
    "imiento",
    "aciones",
    "iciones",
    "uciones",
    "acion",
    "icion",
    "ucion",
    "mente",
    "ments",
    "ment",
    "iendo",
    "ando",
    "ados",
    "adas",
    "idos",
    "idas",
    "ado",
    "ada",
    "ido",
    "ida",
    "ings",
    "ing",
    "ies",
    "ed",
    "ar",
    "ir",
    "es",
    "as",
    "os",
    "s",
    "a",
    "o",
    "e",
)


def stem(word: str) -> str:
    """A light English/Spanish stemmer: enough to join 'arrested'/'arrest'/'arrestado', 'papeles'/'papel'.

    Deliberately leaves '-er' alone so that 'detainer' stays apart from 'detain'.
    """
    if len(word) <= 4 or word.isdigit() or any(c.isdigit() for c in word):
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            base = word[: -len(suffix)]
            if suffix == "ies":
                base += "y"
            elif len(base) > 4 and base[-1] == base[-2]:
                base = base[:-1]  # stopped -> stopp -> stop
            return base
    return word
