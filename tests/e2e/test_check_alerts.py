"""Checking an alert, through the real ``kyr-bot run`` process and the Bot API double: forwards from each
origin type Telegram has (a user, a user who hides their account, a chat, a channel) at several ages, a
pasted alert, a known claim, ``/verificar@bot`` in a group as a reply to a forwarded alert; and what is
left behind: nothing of a forwarded message (its words, its sender, where it came from) in the data
folder or the log, even at DEBUG level."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest

from testkit.botapi_double import BOT_USERNAME, BotApiDouble, Call
from testkit.harness import buttons_of, knowledge, text_of
from testkit.process import running_bot

DENVER = ZoneInfo("America/Denver")  # knowledge/settings.yaml time_zone: the users' dates
HOUR, DAY = 3600, 86400
GROUP = -1_007_000_000_555
# Distinctive words: finding any of them in the data folder or the log would be a leak.
SECRETS = {
    "sender": ("Hermenegilda", "hermi_secret_user"),
    "hidden": "Tlacuache Anonimo",
    "chat": "Familia Zapotlan Secreta",
    "channel": ("Canal Alertas Zeta", "canal_zeta_secreto"),
    "words": "Tlaxcalteca",
    "group member": ("Leocadio", "leocadio_secret"),
}
ALERT_ES = "Retén de la migra en la calle Tlaxcalteca mañana temprano, pásenlo a todos"
ALERT_EN = "ICE checkpoint by the Tlaxcalteca Street gas station tomorrow morning, share with everyone"
CLAIM_ES = "Dicen que ICE paga 750 dólares por cada vecino que uno denuncie, Tlaxcalteca lo confirmó"


def origin(kind: str, date: int) -> dict:
    """A ``forward_origin`` of each type, as the Bot API sends it."""
    if kind == "user":
        first, username = SECRETS["sender"]
        return {
            "type": "user",
            "date": date,
            "sender_user": {"id": 5551, "is_bot": False, "first_name": first, "username": username},
        }
    if kind == "hidden_user":
        return {"type": "hidden_user", "date": date, "sender_user_name": SECRETS["hidden"]}
    if kind == "chat":
        chat = {"id": -1_001_234_567, "type": "supergroup", "title": SECRETS["chat"]}
        return {"type": "chat", "date": date, "sender_chat": chat, "author_signature": SECRETS["sender"][0]}
    title, username = SECRETS["channel"]
    chat = {"id": -1_009_876_543, "type": "channel", "title": title, "username": username}
    return {"type": "channel", "date": date, "chat": chat, "message_id": 77, "author_signature": SECRETS["hidden"]}


def expected_age(first_sent: int, now: int, lang: str) -> str:
    """What the reply's first line must say, from the issue's wording, counted in Denver's calendar."""
    sent_day = dt.datetime.fromtimestamp(first_sent, DENVER).date()
    days = (dt.datetime.fromtimestamp(now, DENVER).date() - sent_day).days
    months = {
        "en": "January February March April May June July August September October November December",
        "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    }[lang].split()
    month = months[sent_day.month - 1]
    day = f"{month} {sent_day.day}" if lang == "en" else f"{sent_day.day} de {month}"
    if sent_day.year != dt.datetime.fromtimestamp(now, DENVER).year:
        day += f", {sent_day.year}" if lang == "en" else f" de {sent_day.year}"
    seconds = now - first_sent
    if lang == "en":
        if days == 0:
            n, unit = (seconds // 60, "minute") if seconds < HOUR else (seconds // HOUR, "hour")
            when = f"today, {n} {unit}{'s' if n != 1 else ''} ago"
        else:
            when = f"yesterday, {day}" if days == 1 else f"{days} days ago, on {day}"
        return f"This message was first sent on Telegram {when}."
    if days == 0:
        n, unit = (seconds // 60, "minuto") if seconds < HOUR else (seconds // HOUR, "hora")
        when = f"hoy, hace {n} {unit}{'s' if n != 1 else ''}"
    else:
        when = f"ayer, {day}" if days == 1 else f"hace {days} días, el {day}"
    return f"Este mensaje se envió por primera vez en Telegram {when}."


@dataclass
class Session:
    replies: dict[str, Call] = field(default_factory=dict)
    ages: dict[str, str] = field(default_factory=dict)  # what each forwarded reply must say first
    group_messages: list[Call] = field(default_factory=list)
    data: dict[str, bytes] = field(default_factory=dict)
    log: str = ""


def exchange(double: BotApiDouble, update: dict, chat: int) -> Call:
    before = len([c for c in double.calls_of("sendMessage") if c.params.get("chat_id") == chat])
    double.push_update(update)
    calls = double.wait_for(
        "sendMessage", before + 1, 15, lambda c: c.params.get("chat_id") == chat and c.ok, answered=True
    )
    return calls[before]


FORWARDS = [  # (name, origin type, age in seconds, language, text)
    ("user, minutes", "user", 5 * 60, "es", ALERT_ES),
    ("hidden user, hours", "hidden_user", 3 * HOUR + 120, "en", ALERT_EN),
    ("chat, yesterday", "chat", DAY + 60, "es", "que es una orden de retencion migratoria Tlaxcalteca"),
    ("channel, 10 days", "channel", 10 * DAY, "es", ALERT_ES),
    ("channel, a year", "channel", 400 * DAY, "en", ALERT_EN),
]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    base = tmp_path_factory.mktemp("alerts")
    data = base / "data"
    s = Session()
    with BotApiDouble() as double, running_bot(double, data, KYR_LOG_LEVEL="DEBUG") as bot:
        first, username = SECRETS["sender"]
        for i, (name, kind, age, lang, text) in enumerate(FORWARDS):
            chat = 7_100_000_000 + i
            now = int(time.time())
            update = double.make_text_message(
                chat,
                text,
                language_code=lang,
                first_name=first,
                username=username,
                date=now,
                forward_origin=origin(kind, now - age),
            )
            s.replies[name] = exchange(double, update, chat)
            s.ages[name] = expected_age(now - age, now, lang)
        pasted = double.make_text_message(7_100_000_050, ALERT_ES, language_code="es", first_name=first)
        s.replies["pasted alert"] = exchange(double, pasted, 7_100_000_050)
        claim = double.make_text_message(7_100_000_051, CLAIM_ES, language_code="es", first_name=first)
        s.replies["typed claim"] = exchange(double, claim, 7_100_000_051)

        # A group: someone forwards the claim there (the bot does not answer a message not meant for
        # it), another member answers it with /verificar@bot.
        posted_at = int(time.time())
        shared = double.make_text_message(
            GROUP,
            CLAIM_ES,
            user_id=5552,
            chat_type="supergroup",
            first_name=first,
            username=username,
            date=posted_at,
            forward_origin=origin("hidden_user", posted_at - 2 * DAY),
        )
        double.push_update(shared)
        member, member_username = SECRETS["group member"]
        check = double.make_text_message(
            GROUP,
            f"/verificar@{BOT_USERNAME}",
            user_id=5553,
            chat_type="supergroup",
            language_code="es",
            first_name=member,
            username=member_username,
            reply_to_message=shared["message"]["message_id"],
        )
        s.replies["group check"] = exchange(double, check, GROUP)
        s.ages["group check"] = expected_age(posted_at - 2 * DAY, int(check["message"]["date"]), "es")
        # An alert in the group checked without naming the bot (Telegram delivers it when privacy mode
        # is off): the same, how to check an alert with its age.
        alert = double.make_text_message(
            GROUP,
            ALERT_ES,
            user_id=5552,
            chat_type="supergroup",
            first_name=first,
            forward_origin=origin("channel", posted_at - 3 * DAY),
        )
        double.push_update(alert)
        bare = double.make_text_message(
            GROUP,
            "/verificar",
            user_id=5553,
            chat_type="supergroup",
            language_code="es",
            first_name=member,
            reply_to_message=alert["message"]["message_id"],
        )
        s.replies["group bare check"] = exchange(double, bare, GROUP)
        double.wait_idle()
        s.group_messages = [c for c in double.calls_of("sendMessage") if c.params.get("chat_id") == GROUP]
        s.data = {str(p.relative_to(data)): p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file()}
        assert bot.stop() == 0
    s.log = bot.text()
    s.data.update({str(p.relative_to(data)): p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file()})
    return s


KB = knowledge()
GUIDE = KB.entries[KB.routing.alert_entry or ""]


@pytest.mark.parametrize("name", [f[0] for f in FORWARDS])
def test_a_forward_from_each_origin_type_says_how_old_it_is_first(session, name):
    first_line = text_of(session.replies[name]).split("\n")[0]
    assert first_line == session.ages[name]


@pytest.mark.parametrize("name, lang", [(f[0], f[3]) for f in FORWARDS if f[4] in (ALERT_ES, ALERT_EN)])
def test_a_forwarded_alert_gets_how_to_check_it_and_who_verifies(session, name, lang):
    text = text_of(session.replies[name])
    assert GUIDE.text(lang).title in text
    assert "1-844-864-8341" in text  # rapid response volunteers verify (facts.md 11.6)
    assert "Is it true?" not in text and "¿Es cierto?" not in text  # no verdict from its age alone


def test_a_forwarded_question_is_answered_as_usual_below_its_age(session):
    text = text_of(session.replies["chat, yesterday"])
    assert KB.entries["detainer-basics"].text("es").title in text


def test_a_pasted_alert_gets_the_guidance_without_an_age(session):
    text = text_of(session.replies["pasted alert"])
    assert text.startswith(GUIDE.text("es").title)
    assert "Telegram" not in text.split("\n")[0]


def test_a_known_claim_gets_its_verdict_and_sources(session):
    call = session.replies["typed claim"]
    text = text_of(call)
    claim = next(c for c in KB.claims if c.id == "cash-for-tips")
    assert "¿Es cierto? Nadie lo ha confirmado." in text and claim.texts["es"].claim in text
    assert all(s.url in call.params["text"] for s in claim.sources)
    assert not any("📨" in b["text"] for b in buttons_of(call))


def test_verificar_as_a_reply_in_a_group_checks_the_forwarded_message(session):
    text = text_of(session.replies["group check"])
    assert text.split("\n")[0] == session.ages["group check"]
    assert "¿Es cierto? Nadie lo ha confirmado." in text
    bare = text_of(session.replies["group bare check"])
    assert bare.startswith("Este mensaje se envió por primera vez en Telegram hace 3 días")
    assert GUIDE.text("es").title in bare


def test_the_bot_stays_quiet_about_forwards_in_a_group_nobody_asked_it_to_check(session):
    assert len(session.group_messages) == 2  # the two /verificar replies, nothing else


def test_no_forwarded_message_offers_to_send_it_for_review(session):
    for name in [f[0] for f in FORWARDS] + ["group check", "group bare check"]:
        assert not any("📨" in b["text"] for b in buttons_of(session.replies[name])), name


def _secrets() -> list[str]:
    out: list[str] = []
    for value in SECRETS.values():
        out += [value] if isinstance(value, str) else list(value)
    return out


@pytest.mark.parametrize("secret", _secrets())
def test_nothing_of_a_forwarded_message_is_kept_or_logged(session, secret):
    assert session.data, "the data folder was never written"
    for name, content in session.data.items():
        assert secret.lower().encode() not in content.lower(), f"{secret!r} in the data folder's {name}"
    assert secret.lower() not in session.log.lower(), "in the log"


def test_the_log_says_nothing_of_the_alert_texts(session):
    for text in (ALERT_ES, ALERT_EN, CLAIM_ES):
        assert text[:30].lower() not in session.log.lower()
    assert "DEBUG" in session.log  # the strictest level was on
