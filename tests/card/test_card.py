"""The rights card picture: its texts (card.yaml + officer_card.yaml), the font, the layout, the cache, the CLI."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from bot.card.checks import card_problems
from bot.card.fonts import CardFonts
from bot.card.fonts import missing_glyphs as glyphs_missing
from bot.card.render import (
    HEIGHT,
    SIDE,
    STYLES,
    WIDTH,
    CardFitError,
    CardRenderer,
    RenderedCard,
    content_hash,
    render_card,
)
from bot.knowledge.card_file import load_card
from bot.knowledge.model import CardSet, CardText
from testkit.paths import ROOT

KYR_BOT = str(Path(sys.executable).with_name("kyr-bot"))
FONTS = CardFonts.shipped()
WHITE = (255, 255, 255)


def _values(kb) -> dict[str, dict[str, str]]:
    return {lang: kb.contacts.values_for(lang) for lang in kb.languages}


@pytest.fixture(scope="module")
def cards(kb) -> CardSet:
    return load_card(kb.directory, kb.languages, _values(kb))


@pytest.fixture(scope="module")
def rendered(cards) -> dict[str, RenderedCard]:
    return {lang: render_card(cards.text(lang)) for lang in cards.languages}


def _image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def _colors(image: Image.Image) -> set[tuple[int, int, int]]:
    """The distinct colours in a picture."""
    return {color for _, color in image.convert("RGB").getcolors(maxcolors=1 << 24)}


def _copy_knowledge(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    return target


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _assert_fits(card: RenderedCard) -> None:
    """What a person would see go wrong: text off the card or in the margins, texts on top of each other."""
    assert (card.width, card.height) == (WIDTH, HEIGHT)
    image = _image(card.png)
    assert image.size == (WIDTH, HEIGHT)
    fields = [box.field for box in card.boxes]
    assert fields == ["heading", "statement", "explanation", "hotline", "small_print"]
    for box in card.boxes:
        left, top, right, bottom = box.bbox
        assert box.lines, box.field
        # A 9:19.5 phone showing the picture as its lock screen loses about 97 px on each side.
        assert SIDE - 8 <= left < right <= WIDTH - SIDE + 8, (box.field, box.bbox)
        assert 0 < top < bottom <= HEIGHT - 40, (box.field, box.bbox)
    for i, a in enumerate(card.boxes):
        for b in card.boxes[i + 1 :]:
            apart = a.bbox[2] <= b.bbox[0] or b.bbox[2] <= a.bbox[0] or a.bbox[3] <= b.bbox[1] or b.bbox[3] <= a.bbox[1]
            assert apart, f"{a.field} {a.bbox} overlaps {b.field} {b.bbox}"
    tops = [box.bbox[1] for box in card.boxes]
    assert tops == sorted(tops)  # read from top to bottom in this order
    # Nothing at all is drawn in the side margins or under the small print, below the red band.
    band_bottom = next(y for y in range(HEIGHT) if image.getpixel((2, y)) == WHITE)
    small_bottom = card.boxes[-1].bbox[3]
    for blank in (
        (0, band_bottom, SIDE - 10, HEIGHT),
        (WIDTH - SIDE + 10, band_bottom, WIDTH, HEIGHT),
        (0, small_bottom + 2, WIDTH, HEIGHT),
    ):
        assert _colors(image.crop(blank)) == {WHITE}, blank


# --------------------------------------------------------------------------- the picture


def test_each_language_renders_a_portrait_png_that_fits(cards, rendered):
    assert set(rendered) == set(cards.languages) == {"en", "es"}
    for card in rendered.values():
        assert card.png.startswith(b"\x89PNG\r\n\x1a\n")
        _assert_fits(card)


def test_type_is_large_enough_after_telegram_shrinks_the_photo(rendered):
    for card in rendered.values():
        size = {box.field: box.font_size for box in card.boxes}
        assert size["statement"] >= 40
        assert size["small_print"] >= 24
        assert size["statement"] > size["explanation"] > size["small_print"]


def test_high_contrast_heading_on_the_band_and_dark_text_on_white(rendered):
    for card in rendered.values():
        image = _image(card.png)
        boxes = {box.field: box for box in card.boxes}
        heading = boxes["heading"].bbox
        band = image.getpixel((4, heading[1]))
        assert band != WHITE and band[0] > band[1] + 100  # a strong red
        heading_ink = max(_colors(image.crop(heading)), key=_luminance)
        assert _contrast(heading_ink, band) >= 4.5
        for field in ("statement", "explanation", "small_print"):
            left, top, right, bottom = boxes[field].bbox
            assert image.getpixel((4, top)) == WHITE
            darkest = min(_colors(image.crop((left, top, right, bottom))), key=_luminance)
            assert _contrast(darkest, WHITE) >= 7, field
        hotline = boxes["hotline"].bbox
        tint = image.getpixel((WIDTH // 2, hotline[1] - 4))
        assert _contrast(min(_colors(image.crop(hotline)), key=_luminance), tint) >= 7


def test_a_very_long_explanation_shrinks_and_wraps_and_still_fits(cards, rendered):
    text = cards.text("es")
    longer = dataclasses.replace(text, explanation=f"{text.explanation} {text.explanation}")
    card = render_card(longer)
    _assert_fits(card)
    size = {box.field: box.font_size for box in card.boxes}
    normal = {box.field: box.font_size for box in rendered["es"].boxes}
    assert size["explanation"] < normal["explanation"]
    assert size["explanation"] >= STYLES["explanation"].minimum
    assert size["statement"] >= 40


def test_a_word_wider_than_the_card_is_broken_not_cut_off(cards):
    text = dataclasses.replace(cards.text("en"), hotline="Hotline: " + "x" * 120)
    card = render_card(text)
    _assert_fits(card)
    hotline = next(box for box in card.boxes if box.field == "hotline")
    assert "".join(hotline.lines).count("x") == 120


def test_a_card_that_cannot_fit_is_a_clear_error(cards):
    text = cards.text("es")
    with pytest.raises(CardFitError) as info:
        render_card(dataclasses.replace(text, explanation=" ".join([text.explanation] * 6)))
    assert info.value.lang == "es"
    assert info.value.field == "explanation"
    assert "'es'" in str(info.value) and "es.explanation" in str(info.value)


def test_the_same_text_always_gives_the_same_picture(cards, rendered):
    again = render_card(cards.text("es"))
    assert again.png == rendered["es"].png
    assert again.content_hash == rendered["es"].content_hash
    assert rendered["en"].png != rendered["es"].png


def test_the_cache_draws_once_per_content_and_again_after_an_edit(cards):
    renderer = CardRenderer(cards)
    first = renderer.render("es")
    assert renderer.render("es") is first
    assert renderer.content_hash("es") == first.content_hash == content_hash(cards.text("es"))
    english = renderer.render("en")

    texts = dict(cards.texts)
    texts["es"] = dataclasses.replace(texts["es"], explanation=texts["es"].explanation + " Guarde la calma.")
    renderer.update(dataclasses.replace(cards, texts=texts))
    assert renderer.content_hash("es") != first.content_hash
    edited = renderer.render("es")
    assert edited.png != first.png
    assert edited.content_hash == renderer.content_hash("es")
    assert renderer.render("en") is english  # unchanged: not drawn again
    with pytest.raises(KeyError, match="fr"):
        renderer.render("fr")


def test_the_caption_is_not_part_of_the_picture(cards):
    text = cards.text("en")
    assert content_hash(dataclasses.replace(text, caption="Another caption")) == content_hash(text)
    assert content_hash(dataclasses.replace(text, hotline=text.hotline + ".")) != content_hash(text)


# --------------------------------------------------------------------------- the texts


def test_card_texts_come_from_the_officer_card_and_fill_the_contacts(kb, cards):
    for lang in kb.languages:
        text = cards.text(lang)
        assert text.statement.startswith("I am using my right to remain silent.")
        assert text.origins["statement"].path.name == "officer_card.yaml"
        assert text.origins["explanation"].path.name == "officer_card.yaml"
        assert "{" not in "".join(value for _, value in text.drawn()) + text.caption
        assert kb.contacts.values_for(lang)["rapid_response_phone"] in text.hotline
        assert kb.contacts.values_for(lang)["rapid_response_phone_as_of"] in text.hotline  # when it was confirmed
        assert "ACLU, ILRC" in text.small_print
        assert "2026" in text.small_print
        assert kb.contacts.values_for(lang)["red_cards_url"] in text.caption
        assert "Android" in text.caption and "iPhone" in text.caption
    assert cards.text("en").statement == cards.text("es").statement
    assert "/card" in cards.text("en").small_print and "/tarjeta" in cards.text("es").small_print
    month = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ]
    assert month[cards.reviewed.month - 1] in cards.text("es").small_print


def test_every_character_on_every_card_is_in_the_font(cards):
    for text in cards.texts.values():
        for field, value in text.drawn():
            for path in FONTS.paths():
                assert glyphs_missing(value, path) == [], (text.lang, field, path.name)


def test_a_character_the_font_lacks_is_detected():
    for path in FONTS.paths():
        assert glyphs_missing("¿Qué pasó? ¡Señor! 漢 ok 漢", path) == ["漢"]
        assert glyphs_missing("áéíóúüñÁÉÍÓÚÑ¿¡«»“”–—·→", path) == []


def test_a_placeholder_value_the_font_cannot_draw_is_reported_at_its_line(kb, tmp_path):
    values = _values(kb)
    values["es"] = dict(values["es"], rapid_response_phone="1-844 漢")
    load_card(kb.directory, kb.languages, values)  # the texts are fine; the font cannot draw one
    problems = card_problems(kb.directory, kb.languages, values)
    card_yaml = kb.directory / "card.yaml"
    es_hotline = _line_of(card_yaml, "Línea de Respuesta Rápida") - 1
    assert [str(p) for p in problems] == [
        f"{card_yaml}:{es_hotline}: es.hotline: the card's font cannot draw '漢' (U+6F22) "
        "(in the text or a placeholder's value)"
    ]


def test_card_yaml_problems_are_reported_as_file_and_line(kb, tmp_path):
    directory = _copy_knowledge(tmp_path)
    path = directory / "card.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("  heading: Muestre esto al agente\n", "  heading: ''\n")
    text = text.replace("Rapid Response hotline (southern Wyoming,", "Hotline: {hotline_phone} (")
    text = re.sub(r"(?m)^reviewed: .*$", "reviewed: 2026-02-30", text)
    text += "fr:\n  heading: Montrez ceci\n"
    path.write_text(text, encoding="utf-8")
    problems = [str(p) for p in card_problems(directory, kb.languages, _values(kb))]
    assert problems == [
        f"{path}:{_line_of(path, 'reviewed:')}: 'reviewed' must be a date like 2026-11-27",
        f"{path}:{_line_of(path, 'fr:')}: unknown key 'fr' (a typo, or a language not in settings.yaml?)",
        f"{path}:{_line_of(path, 'Hotline: {hotline_phone}') - 1}: en.hotline: unknown placeholder {{hotline_phone}} "
        "(not in contacts.yaml values)",
        f"{path}:{_line_of(path, chr(39) * 2)}: es.heading is missing or empty",
    ]


def test_a_missing_language_and_a_missing_explanation_are_reported(kb, tmp_path):
    directory = _copy_knowledge(tmp_path)
    officer = directory / "officer_card.yaml"
    lines = officer.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("  es:"))
    officer.write_text("".join(lines[:start]), encoding="utf-8")
    problems = [str(p) for p in card_problems(directory, kb.languages, _values(kb))]
    explanation_line = _line_of(officer, "explanation:")
    assert problems == [f"{officer}:{explanation_line}: explanation.es is missing or empty"]
    problems = [str(p) for p in card_problems(directory, ("en", "es", "de"), {**_values(kb), "de": {}})]
    card_yaml = directory / "card.yaml"
    line = _line_of(card_yaml, "reviewed:")
    assert f"{card_yaml}:{line}: the card has no 'de' block (heading, hotline, small_print, caption)" in problems


def test_a_card_too_long_to_fit_is_a_check_problem_at_the_field_to_shorten(kb, tmp_path):
    directory = _copy_knowledge(tmp_path)
    officer = directory / "officer_card.yaml"
    text = officer.read_text(encoding="utf-8")
    marker = "    Lo que dicen estas palabras en inglés:"
    officer.write_text(text.replace(marker, marker + " Mantenga la calma." * 80), encoding="utf-8")
    load_card(directory, kb.languages, _values(kb))  # the texts themselves are fine
    problems = card_problems(directory, kb.languages, _values(kb))
    assert len(problems) == 1
    assert problems[0].path == officer and problems[0].line == _line_of(officer, "  es: |")
    assert "'es' card does not fit" in problems[0].message and "es.explanation" in problems[0].message


def test_a_new_language_needs_no_code_change(kb, tmp_path):
    directory = _copy_knowledge(tmp_path)
    officer = directory / "officer_card.yaml"
    text = officer.read_text(encoding="utf-8") + "  fr: |\n    Montrez ou lisez ces mots à l'agent. Restez calme.\n"
    # each source is named in the new language too (a name of an English page says so)
    text = re.sub(r"(?m)^(    name: \{.*)\}$", r'\1, fr: "Source (en anglais)"}', text)
    officer.write_text(text, encoding="utf-8")
    card = directory / "card.yaml"
    card.write_text(
        card.read_text(encoding="utf-8") + "fr:\n"
        "  heading: Montrez ceci à l'agent\n"
        "  hotline: 'Ligne d’urgence : {rapid_response_phone}'\n"
        "  small_print: 'Information, pas un conseil juridique. Sources : {publishers}. Carte du {card_date}.'\n"
        "  caption: 'Enregistrez cette image. Cartes rouges : {red_cards_url}'\n",
        encoding="utf-8",
    )
    values = {**_values(kb), "fr": kb.contacts.values_for("en")}
    cards = load_card(directory, (*kb.languages, "fr"), values)
    mois = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ]
    assert f"{mois[cards.reviewed.month - 1]} {cards.reviewed.year}" in cards.text("fr").small_print
    _assert_fits(render_card(cards.text("fr")))


def test_the_shipped_card_has_no_problems(kb):
    assert card_problems(kb.directory, kb.languages, _values(kb)) == []


# --------------------------------------------------------------------------- the command line


@pytest.fixture(scope="module")
def cli(tmp_path_factory) -> tuple[Path, dict[str, subprocess.CompletedProcess], str]:
    """``kyr-bot card`` run as a user runs it, three ways at once, in an empty folder."""
    folder = tmp_path_factory.mktemp("cli")
    broken = _copy_knowledge(tmp_path_factory.mktemp("broken"))
    card_yaml = broken / "card.yaml"
    card_yaml.write_text(
        card_yaml.read_text(encoding="utf-8").replace("  heading: Muestre esto al agente\n", "  heading: ''\n"),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k not in ("KYR_KNOWLEDGE_DIR", "KYR_LOCALES_DIR")}
    commands = {
        "es": ([KYR_BOT, "card", "--lang", "es", "-o", str(folder / "X.png")], env),
        "default_name": ([KYR_BOT, "card", "--lang", "en"], env),
        "unknown": ([KYR_BOT, "card", "--lang", "fr"], env),
        "check_broken": ([KYR_BOT, "check"], dict(env, KYR_KNOWLEDGE_DIR=str(broken))),
        "card_broken": ([KYR_BOT, "card", "--lang", "en"], dict(env, KYR_KNOWLEDGE_DIR=str(broken))),
    }
    procs = {
        name: subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=folder, env=e)
        for name, (cmd, e) in commands.items()
    }
    out = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=60)
        out[name] = subprocess.CompletedProcess(commands[name][0], proc.returncode, stdout, stderr)
    return folder, out, f"{card_yaml}:{_line_of(card_yaml, chr(39) * 2)}: es.heading is missing or empty"


def test_cli_writes_the_card(cli):
    folder, runs, _ = cli
    assert runs["es"].returncode == 0, runs["es"].stderr
    assert str(folder / "X.png") in runs["es"].stdout
    assert _image((folder / "X.png").read_bytes()).size == (WIDTH, HEIGHT)
    assert runs["default_name"].returncode == 0, runs["default_name"].stderr
    assert "rights-card-en.png" in runs["default_name"].stdout
    assert _image((folder / "rights-card-en.png").read_bytes()).size == (WIDTH, HEIGHT)
    assert sorted(p.name for p in folder.iterdir()) == ["X.png", "rights-card-en.png"]


def test_check_and_card_report_a_broken_card_yaml_as_file_and_line(cli):
    _, runs, problem = cli
    assert runs["check_broken"].returncode == 1
    assert problem in runs["check_broken"].stderr.splitlines()
    assert runs["card_broken"].returncode == 2
    assert problem in runs["card_broken"].stderr.splitlines()
    assert runs["card_broken"].stdout == ""


def test_cli_unknown_language_is_a_clear_error(cli):
    run = cli[1]["unknown"]
    assert run.returncode == 2
    assert "unknown language 'fr'" in run.stderr and "en, es" in run.stderr
    assert run.stdout == ""


def test_rendered_texts_are_the_card_texts(cards, rendered):
    for lang, card in rendered.items():
        text: CardText = cards.text(lang)
        for box in card.boxes:
            assert " ".join(box.lines) == getattr(text, box.field)
