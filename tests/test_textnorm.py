"""Text normalisation: what makes 'Qué', 'que' and 'QUEEE' the same word to the matcher."""

import pytest

from bot import textnorm


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Qué PASÓ", "que paso"),
        ("¿Dónde está mi niño?", "¿donde esta mi nino?"),
        ("AÑO año Ano", "ano ano ano"),
        ("pingüino", "pinguino"),
        ("DETAINER", "detainer"),
        ("Straße", "strasse"),  # casefold, not just lower()
    ],
)
def test_fold_strips_accents_and_case(raw, folded):
    assert textnorm.fold(raw) == folded


def test_fold_makes_accented_and_plain_spelling_equal():
    assert textnorm.fold("¿Qué es una orden de retención?") == textnorm.fold("¿que es una ORDEN de retencion?")


@pytest.mark.parametrize(
    ("word", "squeezed"),
    [
        ("holaaaa", "hola"),
        ("pleeeease", "please"),
        ("graciaaaas", "gracias"),
        ("nooooo", "no"),
    ],
)
def test_squeeze_collapses_runs_of_three_or_more(word, squeezed):
    assert textnorm.squeeze(word) == squeezed


@pytest.mark.parametrize("word", ["llamar", "carro", "perro", "arrested", "llorar", "see", "attorney"])
def test_squeeze_keeps_real_double_letters(word):
    # Spanish ll/rr and English doubles are real spelling; only exaggeration (3+) is squeezed.
    assert textnorm.squeeze(word) == word


def test_words_drops_punctuation_emoji_and_symbols():
    assert textnorm.words("¡¿Qué pasó?! 👮‍♂️🚓 la-migra... hello,world") == [
        "que",
        "paso",
        "la",
        "migra",
        "hello",
        "world",
    ]


def test_words_folds_and_squeezes():
    assert textnorm.words("HOLAAAA!!! Niño") == ["hola", "nino"]


def test_words_keeps_digits_and_form_numbers():
    assert textnorm.words("287(g) and I-247A") == ["287", "g", "and", "i", "247a"]


@pytest.mark.parametrize("text", ["", "   ", "😱🙏🚓", "?!?! ...", "\x00\x01", "ما هي حقوقي", "你好"])
def test_words_of_text_without_latin_words_is_empty(text):
    assert textnorm.words(text) == []


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("arrested", "arrest"),
        ("arrestado", "arrest"),
        ("papeles", "papel"),
        ("lawyers", "lawyer"),
        ("abogados", "abogado"),
        ("stopped", "stop"),
        ("families", "family"),
        ("detained", "detain"),
    ],
)
def test_stem_joins_word_forms(a, b):
    assert textnorm.stem(a) == textnorm.stem(b)


@pytest.mark.parametrize(("a", "b"), [("detainer", "detain"), ("detainer", "detained")])
def test_stem_keeps_detainer_apart_from_detain(a, b):
    # A detainer (the ICE form) is a different topic from being detained.
    assert textnorm.stem(a) != textnorm.stem(b)


@pytest.mark.parametrize("word", ["287g", "i247a", "ice", "hold"])
def test_stem_leaves_short_words_and_codes_alone(word):
    assert textnorm.stem(word) == word


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("bienen", "vienen"),
        ("ablar", "hablar"),
        ("kasa", "casa"),
        ("keso", "queso"),
        ("sapato", "zapato"),
        ("ijo", "hijo"),
    ],
)
def test_phonetic_matches_spanish_spelling_slips(a, b):
    assert textnorm.phonetic(a) == textnorm.phonetic(b)


@pytest.mark.parametrize(("a", "b"), [("bienen", "tienen"), ("casa", "cosa"), ("hablar", "hallar")])
def test_phonetic_keeps_different_words_apart(a, b):
    assert textnorm.phonetic(a) != textnorm.phonetic(b)


def test_phonetic_matches_ll_and_y():
    assert textnorm.phonetic("yamar") == textnorm.phonetic("llamar")


def test_spanish_marks_counts_only_spanish_characters():
    assert textnorm.spanish_marks("¿Qué pasó, niño?") == 4
    assert textnorm.spanish_marks("What happened, kid?") == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help they're at my door", ["help", "theyre", "at", "my", "door"]),
        ("they’re here", ["theyre", "here"]),  # a typographic apostrophe
        ("s.o.s", ["sos"]),
        ("S.O.S.!!", ["sos"]),
        ("AYUDAAA por favooor", ["ayuda", "por", "favor"]),
        ("¡Están aquí!", ["estan", "aqui"]),
        ("the officers' car", ["the", "officers", "car"]),  # an apostrophe at a word's end just ends it
        ("1.5 km", ["1", "5", "km"]),  # only single letters join across dots
    ],
)
def test_message_words_read_a_short_message_as_meant(text, expected):
    assert textnorm.message_words(text) == expected
