"""The conversation core, driven directly (no Telegram): every reply a user can get, checked by what they
would notice — the text they read, the buttons they see and what pressing them does, the language."""

from __future__ import annotations

import pytest

from bot.core import callbacks as cb
from bot.core.replies import User
from testkit.chat import (
    CONV,
    KB,
    LANGS,
    OTHER,
    SETTINGS,
    assert_answer,
    assert_card,
    assert_emergency_menu,
    assert_emergency_screen,
    assert_no_answer,
    assert_stands_alone,
    assert_topic_menu,
    bug,
    fresh,
    label,
    labels,
    plain,
    press,
    send_command,
    send_media,
    send_text,
    title,
    topic_labels,
    ui,
)


# ---------------------------------------------------------------------- /start and deep links
@pytest.mark.parametrize("lang", LANGS)
def test_welcome_in_the_users_language(lang):
    user = fresh(lang)
    reply = send_command(CONV, user, "start")
    heading = {"en": "Know your rights: immigration in Wyoming", "es": "Conozca sus derechos: inmigración en Wyoming"}
    assert plain(reply).startswith(heading[lang]) and ui("disclaimer", lang) in plain(reply) and reply.lang == lang
    assert labels(reply) == [ui("emergency", lang), *topic_labels(lang), ui("card", lang)]  # the card last
    assert_emergency_menu(press(user, reply, ui("emergency", lang)), lang)
    assert_card(press(user, reply, ui("card", lang)), lang)


@pytest.mark.parametrize(("eid", "lang"), [("detainer-basics", "es"), ("ice-at-door", "en")])
def test_deep_link_opens_that_answer_in_that_language(eid, lang):
    assert_answer(send_command(CONV, fresh(OTHER[lang]), "start", f"{eid}_{lang}"), eid, lang)


LINK_NOTE = {"en": "That link does not open an answer any more. Here is the main menu.", "es": "Ese enlace"}


@pytest.mark.parametrize(  # shaped like ours (<entry-id>_<lang>), but the entry or language is gone or not an answer
    "payload", ["no-such-entry_en", "detainer-basics_fr", "other-topics_en", "immigration-applications_es"]
)
@pytest.mark.parametrize("lang", LANGS)
def test_deep_link_that_opens_nothing_gets_the_menu_with_a_note(payload, lang):
    reply = send_command(CONV, fresh(lang), "start", payload)
    assert plain(reply).startswith(LINK_NOTE[lang]) and reply.lang == lang
    assert plain(reply).split("\n\n", 1)[1] == plain(send_command(CONV, fresh(lang), "start"))  # then the welcome
    assert labels(reply) == [ui("emergency", lang), *topic_labels(lang), ui("card", lang)]


@pytest.mark.parametrize("payload", ["x", "!!", "flyer2026", "Casper-Flyer_EN", "a_b_c"])  # not one of our links
@pytest.mark.parametrize("lang", LANGS)
def test_start_payload_that_is_not_our_link_greets_without_a_note(payload, lang):
    reply = send_command(CONV, fresh(lang), "start", payload)
    assert reply == send_command(CONV, fresh(lang), "start")  # a plain first visit: the welcome, nothing else
    assert LINK_NOTE[lang] not in plain(reply)


# ---------------------------------------------------------------------- menus and commands
@pytest.mark.parametrize(
    ("client", "command", "lang"),
    [
        ("en", "help", "en"),
        ("es", "ayuda", "es"),
        ("en", "ayuda", "es"),  # a Spanish alias answers in Spanish
        ("es", "help", "es"),  # English command names are neutral: the app's language decides
        ("es", "ayuda", "es"),
    ],
)
def test_help_lists_every_command_in_the_users_language(client, command, lang):
    reply = send_command(CONV, fresh(client), command)
    listed = {line.split()[0] for line in plain(reply).splitlines() if line.startswith("/")}
    # Every command but /start (which opened the chat), by its name in the reader's language.
    commands = SETTINGS["commands"]
    assert listed == {"/" + (commands[c].get(lang) or commands[c]["en"]) for c in commands if c != "start"}
    assert reply.lang == lang


@pytest.mark.parametrize(("command", "lang"), [("help", "en"), ("ayuda", "es")])
def test_help_in_a_group_first_says_how_to_ask_there(command, lang):
    how = {
        "en": "In a group, reply to one of my messages with your question: I only see replies to me and commands "
        "such as /help@bot.",
        "es": "En un grupo, responda a uno de mis mensajes",
    }
    user = fresh(lang)
    in_group = send_command(CONV, User(user.id, lang, in_group=True), command)
    private = send_command(CONV, user, command)
    first, rest = plain(in_group).split("\n", 1)
    assert first.startswith(how[lang]) and rest.lstrip("\n") == plain(private) and in_group.lang == lang
    assert labels(in_group) == labels(private)
    assert how[lang] not in plain(private)


@pytest.mark.parametrize(("command", "lang"), [("topics", "en"), ("temas", "es")])
def test_topic_menu_groups_and_back(command, lang):
    user = fresh("en")
    menu = send_command(CONV, user, command)
    assert_topic_menu(menu, lang)
    for group in KB.topics:
        shown = press(user, menu, group.labels[lang])
        assert plain(shown) == group.labels[lang] and shown.edit
        assert labels(shown) == [*(label(e, lang) for e in group.entry_ids), ui("all topics", lang)]
        assert_answer(press(user, shown, label(group.entry_ids[-1], lang)), group.entry_ids[-1], lang)
        back = press(user, shown, ui("all topics", lang))
        assert_topic_menu(back, lang)
        assert back.edit


@pytest.mark.parametrize(("command", "client", "lang"), [("emergency", "en", "en"), ("urgente", "en", "es")])
def test_emergency_menu_shows_the_officer_card_at_once_and_screens_end_with_it(command, client, lang):
    user = fresh(client)
    menu = send_command(CONV, user, command)
    assert_emergency_menu(menu, lang)  # the card for the officer, then one button per situation and Topics
    for eid in KB.emergency:
        screen = press(user, menu, label(eid, lang))
        assert_emergency_screen(screen, eid, lang)  # ends with the card plus the situation's own English line
        switched = press(user, screen, ui("language", OTHER[lang]))
        assert switched.edit
        assert_emergency_screen(switched, eid, OTHER[lang])
        assert_card(press(user, screen, ui("card", lang)), lang)  # the card from a situation's screen too
    assert_card(press(user, menu, ui("card", lang)), lang)
    assert_topic_menu(press(user, menu, ui("topics", lang)), lang)


@pytest.mark.parametrize("lang", LANGS)
def test_emergency_menu_from_the_app_language(lang):
    assert_emergency_menu(send_command(CONV, fresh(lang), "emergency"), lang)


def test_language_choice_is_saved_and_delete_forgets_it():
    user = fresh(None)
    menu = send_command(CONV, user, "language")
    assert labels(menu) == ["English", "Español"]
    assert plain(press(user, menu, "Español")).startswith("Listo: le voy a contestar en español")
    assert "/temas" in plain(send_command(CONV, user, "help"))
    gibberish = plain(send_text(CONV, user, "xyzzy plugh"))  # no language in the text: the saved one
    assert gibberish.startswith((ui("sorry", "es"), KB.entry("other-topics").text("es").answer[:20]))
    assert plain(send_command(CONV, user, "delete")).startswith("Listo. Borré todo lo que tenía guardado sobre usted")
    assert "/topics" in plain(send_command(CONV, user, "help"))  # back to the default language
    assert plain(send_command(CONV, user, "delete")).startswith("I had nothing stored about you.")


@pytest.mark.parametrize(("command", "lang"), [("privacy", "en"), ("privacidad", "es")])
def test_privacy_answer_has_a_delete_button_that_deletes_like_delete(command, lang):
    user = fresh(OTHER[lang])
    press(user, send_command(CONV, user, "language"), ui("language", lang))  # something stored: the choice
    answer = send_command(CONV, user, command)
    assert_answer(answer, "privacy", lang)
    assert labels(answer)[-2:] == [ui("delete button", lang), ui("topics", lang)]
    deleted = press(user, answer, "🗑")
    assert plain(deleted).startswith(ui("deleted", lang)) and deleted.forget_user and deleted.lang == lang
    assert plain(send_command(CONV, user, "help")) == plain(send_command(CONV, fresh(OTHER[lang]), "help"))
    assert plain(press(user, answer, "🗑")).startswith(ui("nothing stored", lang))  # as /delete would say
    assert not [b for b in send_command(CONV, user, "about").all_buttons() if "🗑" in b.label]


def test_english_choice_beats_a_spanish_app():
    user = fresh("es")
    chosen = press(user, send_command(CONV, user, "idioma"), "English")
    assert plain(chosen).startswith("Done: I will answer in English.") and chosen.lang == "en"
    assert plain(send_media(CONV, user)).startswith("I can only read text messages.")


@pytest.mark.parametrize(  # /contact, /contacto, /about, /acerca, /privacy, /privacidad
    ("command", "eid", "lang"),
    [
        (name, eid, lang)
        for c, eid in SETTINGS["content_commands"].items()
        for lang, name in SETTINGS["commands"][c].items()
    ],
)
def test_content_commands_open_their_entries(command, eid, lang):
    assert_answer(send_command(CONV, fresh("en"), command), eid, lang)


@pytest.mark.parametrize(
    ("lang", "not_text", "unknown"),
    [
        ("en", "I can only read text messages.", "I don't know that command. Try /help."),
        ("es", "Solo puedo leer mensajes de texto.", "No conozco ese comando. Pruebe /ayuda."),
    ],
)
def test_photo_and_unknown_command(lang, not_text, unknown):
    user = fresh(lang)
    for reply, expected in ((send_media(CONV, user), not_text), (send_command(CONV, user, "frobnicate"), unknown)):
        assert plain(reply).startswith(expected) and reply.lang == lang
        assert labels(reply) == [ui("topics", lang), ui("emergency", lang)]
        assert_topic_menu(press(user, reply, ui("topics", lang)), lang)


# ---------------------------------------------------------------------- answers
@pytest.mark.parametrize(
    ("question", "eid", "lang"),
    [
        ("What is an ICE detainer?", "detainer-basics", "en"),
        ("¿Qué es un detainer de inmigración?", "detainer-basics", "es"),
        ("Does the county jail have to honor an ICE detainer?", "detainer-must-honor", "en"),
        ("Mi esposo está en la cárcel del condado con un detainer de ICE, ¿qué hacemos?", "held-on-detainer", "es"),
    ],
)
def test_question_gets_its_answer_in_the_questions_language(question, eid, lang):
    assert_answer(send_text(CONV, fresh(OTHER[lang]), question), eid, lang)


def test_answer_buttons_switch_language_open_related_and_share():
    user = fresh("en")
    answer = send_text(CONV, user, "What is an ICE detainer?")
    switched = press(user, answer, "Español")
    assert_answer(switched, "detainer-basics", "es")
    assert switched.edit
    assert_answer(press(user, switched, "English"), "detainer-basics", "en")
    related = KB.entries["detainer-basics"].related[:3]
    assert labels(answer) == ["Español", "📤 Share", *("→ " + label(r, "en") for r in related), "Topics"]
    for rid in related:
        opened = press(user, answer, label(rid, "en"))
        assert_answer(opened, rid, "en")
        assert not opened.edit
    assert_topic_menu(press(user, answer, "Topics"), "en")


@pytest.mark.parametrize(("text", "eid", "lang"), [("hi", "greeting", "en"), ("gracias", "thanks", "es")])
def test_small_talk_gets_a_short_reply_and_the_menu(text, eid, lang):
    reply = send_text(CONV, fresh(OTHER[lang]), text)
    assert plain(reply).strip() == KB.entries[eid].text(lang).answer.strip() and reply.lang == lang
    assert labels(reply) == [ui("topics", lang), ui("emergency", lang)]


# Questions routed to "did you mean" with the right entry among the choices (re-checked whenever the
# matcher's training examples or its fit change: the first is from the holdout set, the second was written here).
UNSURE_EN = (
    "my dad got arrested for a dui thing on saturday and now the jail says he cant get out bc of immigration. "
    "my mom is freaking out and doesnt speak english. what do we do??"
)
UNSURE_ES = "que papel necesitan para entrar?"  # a half-understood ask: which paper, to enter where?


@pytest.mark.parametrize(
    ("question", "lang", "expected"), [(UNSURE_EN, "en", "held-on-detainer"), (UNSURE_ES, "es", "judicial-warrant")]
)
def test_did_you_mean_offers_answers_and_all_topics(question, lang, expected):
    user = fresh(OTHER[lang])
    reply = send_text(CONV, user, question)
    assert plain(reply).startswith(ui("unsure", lang)) and reply.lang == lang
    *choices, last, sos = labels(reply)
    assert label(expected, lang) in choices and last == ui("none of these", lang) and len(choices) >= 2
    assert all(len(choice) <= 32 for choice in choices)  # short titles a phone shows whole
    assert sos == ui("emergency", lang)  # the way to the emergency screen, last
    by_label = {label(e, lang): e for e in KB.entries}
    for choice in choices:
        assert_answer(press(user, reply, choice), by_label[choice], lang)
    none = press(user, reply, last)  # none of these: how to reach a person, and every topic
    assert plain(none).startswith(ui("none fit", lang))
    assert_no_answer(none, lang)
    assert_emergency_menu(press(user, reply, sos), lang)


def _misrouted(question: str, lang: str, eid: str, gets: str):
    return bug(f"a plain {eid} question is not recognised as unsupported: it gets {gets}", question, eid, lang)


@pytest.mark.parametrize(
    ("question", "eid", "lang"),
    [
        ("I need help with my green card application", "immigration-applications", "en"),
        ("¿Cómo pido la green card?", "immigration-applications", "es"),
        ("how do I get a green card", "immigration-applications", "en"),  # fixed by the learned ranker
        ("how do I file my taxes", "other-topics", "en"),  # fixed by the learned ranker
        ("como hago mis impuestos", "other-topics", "es"),  # fixed by the training examples
        ("What time does the DMV open in Casper?", "other-topics", "en"),  # (once the plain fallback)
        ("a que hora abre el DMV", "other-topics", "es"),
        ("help with my taxes", "other-topics", "en"),
        ("ayuda con los taxes", "other-topics", "es"),  # fixed by the training examples (out-of-scope-2026-12b)
    ],
)
def test_unsupported_questions_say_so_and_point_to_help(question, eid, lang):
    reply = send_text(CONV, fresh(OTHER[lang]), question)
    assert plain(reply).startswith(KB.entries[eid].text(lang).answer.split("\n")[0])
    assert_no_answer(reply, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_a_bare_unsupported_topic_says_so_in_the_users_language(lang):
    # English and Spanish speakers both write "green card": no clear language, so the user's own decides.
    reply = send_text(CONV, fresh(lang), "green card")  # (the lexical matcher gave the registration-rule answer)
    assert plain(reply).startswith(KB.entries["immigration-applications"].text(lang).answer.split("\n")[0])
    assert_no_answer(reply, lang)


@pytest.mark.parametrize(
    ("question", "lang"), [("who painted the mona lisa", "en"), ("cuantos planetas hay en el sistema solar", "es")]
)
def test_out_of_scope_question_falls_back_with_contacts_and_topics(question, lang):
    user = fresh(OTHER[lang])
    reply = send_text(CONV, user, question)
    # the plain fallback, or the one that says what the bot does not cover (the unsupported 'other-topics')
    other_topics = KB.entries["other-topics"].text(lang).answer.split("\n")[0]
    assert plain(reply).startswith((ui("sorry", lang), other_topics))
    assert_no_answer(reply, lang)
    assert plain(press(user, reply, KB.topics[0].labels[lang])) == KB.topics[0].labels[lang]
    assert_emergency_menu(press(user, reply, ui("emergency", lang)), lang)


# Invisible format characters (Unicode Cf: zero-width space, direction marks, byte-order mark, U+2060 word joiner,
# U+00AD soft hyphen…) are removed by clean_input, so a message made only of them has no words.
NOTHING = ["", "   ", "\n\t \u00a0", "\u200b\u200e\u202e", "\x00\x07\x1b", "\ufeff", "\u2060", "\u00ad", "\u2060\u00ad"]


@pytest.mark.parametrize("text", NOTHING)
@pytest.mark.parametrize("lang", LANGS)
def test_nothing_typed_asks_for_words(text, lang):
    reply = send_text(CONV, fresh(lang), text)
    assert plain(reply).startswith(ui("type words", lang))
    assert_no_answer(reply, lang)


# ---------------------------------------------------------------------- buttons
FORGED = ["", "a:" + "x" * 70 + ":en", "z:ice-at-door:en", "a:ice-at-door:en:x", "a:ice-at-door:fr", "L::fr"]
STALE = ["a:nope:en", "a:other-topics:en", "x:immigration-applications:es", "t:nope:en", "e:remain-silent:es"]


@pytest.mark.parametrize("data", [None, *FORGED, *STALE])  # too long, wrong verb, unknown entry, language…
@pytest.mark.parametrize("lang", LANGS)
def test_stale_or_forged_buttons_get_only_a_short_notice(data, lang):
    reply = CONV.handle_callback(fresh(lang), data)
    assert reply.text == "" and not reply.buttons
    # In the button's language when it is one of ours, else in the user's.
    assert reply.notice.startswith(ui("stale", data[-2:] if data in STALE else lang))


def test_every_button_on_every_screen_round_trips_and_works():
    user = fresh("en")  # presses are not messages: they never count as flooding
    screens = [send_media(CONV, fresh()), send_text(CONV, fresh(), "xyzzy"), send_text(CONV, fresh(), "taxes")]
    for lang in LANGS:
        cmd = {action: names.get(lang) or names["en"] for action, names in SETTINGS["commands"].items()}
        commands = [cmd[a] for a in ("start", "help", "topics", "emergency", "language", "card")] + ["nope"]
        screens += [send_command(CONV, fresh(), c) for c in commands]
        screens += [
            send_text(CONV, fresh(), {"en": "hello", "es": "hola"}[lang]),
            send_text(CONV, fresh(), UNSURE_ES),
        ]
        screens += [CONV.handle_callback(user, f"a:{eid}:{lang}") for eid, e in KB.entries.items() if e.answerable]
    opened, seen = set(), set()
    while screens:
        reply = screens.pop()
        if reply.photo is not None:  # the rights card: a picture with a caption instead of text
            assert_card(reply, reply.lang)
        else:
            assert reply.text and len(reply.text) <= 4096 and not reply.notice
        if plain(reply).startswith(tuple(title(e, reply.lang) + "\n" for e in KB.entries)):
            opened.add((plain(reply).split("\n")[0], reply.lang))
        for b in reply.all_buttons():
            assert b.label and sum(x is not None for x in (b.data, b.url, b.share)) == 1
            if b.data is None or b.data in seen:
                continue
            seen.add(b.data)
            parsed = cb.parse(b.data)
            assert parsed is not None and len(b.data.encode()) <= 64
            assert cb.encode(parsed.verb, parsed.arg, parsed.lang) == b.data
            screens.append(CONV.handle_callback(user, b.data))
    # Every listed topic can be reached by pressing buttons, in both languages.
    assert {(title(e, lang), lang) for g in KB.topics for e in g.entry_ids for lang in LANGS} <= opened


# ---------------------------------------------------------------------- kyr-bot ask
@pytest.mark.parametrize(
    ("question", "lang", "expected"),
    [
        ("What is an ICE detainer?", None, "en"),
        ("¿Qué es un detainer de inmigración?", None, "es"),
        ("What is an ICE detainer?", "es", "es"),
        ("¿Qué es un detainer de inmigración?", "en", "en"),
    ],
)
def test_ask_answers_in_the_questions_or_the_forced_language(question, lang, expected):
    assert_answer(CONV.ask(question, lang=lang), "detainer-basics", expected)
    assert plain(CONV.ask(" \x00 ", lang=expected)).startswith(ui("type words", expected))


# ---------------------------------------------------------------------- every answer stands alone
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("eid", [eid for eid, e in KB.entries.items() if e.kind == "answer"])
def test_every_answer_carries_sources_review_date_and_disclaimer(eid, lang):
    entry = KB.entries[eid]
    reply = CONV.handle_callback(fresh(lang), f"a:{eid}:{lang}")
    assert_answer(reply, eid, lang)
    assert_stands_alone(reply.text, eid, lang)
    text = plain(reply)
    # Sources: one line of named links, in the reader's language; reviewers' notes never shown.
    (line,) = [line for line in text.splitlines() if line.startswith(ui("sources", lang))]
    assert line == ui("sources", lang) + " " + " · ".join(s.name(lang) for s in entry.sources)
    assert all(f'<a href="{s.url}">' in reply.text for s in entry.sources)
    assert not [s.read_via for s in entry.sources if s.read_via and s.read_via in reply.text]
    assert not [s.title for s in entry.sources if s.title != s.name(lang) and s.title in text]
