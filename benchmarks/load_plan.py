"""The load benchmark's questions (benchmarks/load.py): the knowledge base's own phrasings in English and
Spanish, some with typos, plus out-of-scope ones, dealt to simulated chats with a fixed seed so that every
reply maps to exactly one question; the reply each must get, predicted with the same Conversation code;
and the shape of a typical answer, for the answer-sized echo bot."""

from __future__ import annotations

import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from bot.channels.telegram import split_text
from bot.core.conversation import Conversation, client_language
from bot.core.preferences import MemoryStore
from bot.core.replies import Message, User
from bot.knowledge import KnowledgeBase
from bot.matching.matcher import Matcher
from testkit.botapi_double import BOT_USERNAME
from testkit.paths import ROOT

SEED = 20250317
MODEL_CACHE = ROOT / ".cache" / "ranker"  # fitted once here (as `kyr-bot train` does for a wheel), then reused

# Client languages of the simulated users (Telegram's language_code; None = not sent).
CLIENT_LANGS = ("en", "en-US", "es", "es-MX", "es-419", None)

OUT_OF_SCOPE = {
    "en": (
        "What's the weather in Cheyenne tomorrow?",
        "how do i renew my fishing license",
        "best pizza in Laramie",
        "can you help me with my taxes",
        "who won the football game last night",
        "how do I reset my phone password",
        "recommend a good movie for tonight",
        "how long do I bake sourdough bread",
        "is it going to snow in Casper this weekend",
        "what's a good name for a puppy",
        "how many miles from Rock Springs to Denver",
        "tell me a joke about cowboys",
    ),
    "es": (
        "¿Qué tiempo hará mañana en Cheyenne?",
        "receta de tamales de puerco",
        "cómo cambio la contraseña de mi correo",
        "quién ganó el partido de fútbol anoche",
        "dónde venden llantas baratas",
        "recomiéndame una película para hoy",
        "cómo se hace el pan de muerto",
        "cuánto cuesta un boleto de avión a Guadalajara",
        "va a nevar este fin de semana en Casper",
        "qué nombre le pongo a mi perrito",
        "cuántas millas hay de Rock Springs a Denver",
        "cuéntame un chiste de vaqueros",
    ),
}

_NEIGHBOURS = {
    "a": "sq",
    "e": "wr",
    "i": "uo",
    "o": "ip",
    "u": "yi",
    "s": "ad",
    "n": "bm",
    "r": "et",
    "t": "ry",
    "c": "xv",
    "d": "sf",
    "l": "k",
    "m": "n",
    "p": "o",
}


@dataclass
class Question:
    index: int
    chat_id: int
    seq: int  # position within its chat
    text: str
    client_lang: str | None
    expected: str  # kyr-bot's predicted reply text (Telegram HTML)


@dataclass
class Plan:
    questions: list[Question]
    order: list[int]  # push order (indices into questions); each chat's questions stay in sequence
    mix: dict[str, int]
    langs: dict[str, int]


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def typo(text: str, rng: random.Random) -> str:
    """One or two keyboard slips in words of four letters or more (or all accents dropped)."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if sum(c.isalpha() for c in w) >= 4]
    if not candidates:
        return strip_accents(text) + "?" if text[-1:] != "?" else text[:-1]
    for _ in range(rng.choice((1, 1, 2))):
        i = rng.choice(candidates)
        w = words[i]
        letters = [j for j, c in enumerate(w) if c.isalpha()]
        j = rng.choice(letters[1:] or letters)
        op = rng.choice(("swap", "drop", "double", "near", "accents"))
        if op == "swap" and j + 1 < len(w) and w[j + 1].isalpha():
            w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        elif op == "drop":
            w = w[:j] + w[j + 1 :]
        elif op == "double":
            w = w[:j] + w[j] + w[j:]
        elif op == "near" and w[j].lower() in _NEIGHBOURS:
            w = w[:j] + rng.choice(_NEIGHBOURS[w[j].lower()]) + w[j + 1 :]
        else:
            w = strip_accents(w)
        words[i] = w
    return " ".join(words)


class Predictor:
    """kyr-bot's reply to a text from a fresh user, computed with the bot's own Conversation code."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.conversation = Conversation(kb, Matcher(kb, cache_dir=MODEL_CACHE), MemoryStore(), flood=None)
        self.conversation.set_identity(BOT_USERNAME)  # as the running bot learns it from getMe
        self._cache: dict[tuple[str, str | None], str | None] = {}

    def reply(self, text: str, client_lang: str | None) -> str | None:
        """The reply text, or None if the reply would not be exactly one message."""
        key = (text, client_language(client_lang, self.kb.languages))
        if key not in self._cache:
            reply = self.conversation.handle(User(424242, client_lang), Message(text))
            ok = reply is not None and reply.text and len(split_text(reply.text)) == 1
            self._cache[key] = reply.text if ok else None
        return self._cache[key]


def build_plan(kb: KnowledgeBase, n_questions: int, n_chats: int, seed: int, first_chat: int = 100_001) -> Plan:
    """``n_questions`` questions spread over ``n_chats`` private chats, with distinct expected replies per chat."""
    rng = random.Random(seed)
    predictor = Predictor(kb)
    phrasings: dict[str, list[str]] = defaultdict(list)
    for entry_id in sorted(kb.entries):
        for lang, text in sorted(kb.entries[entry_id].texts.items()):
            phrasings[lang].extend(text.questions)
    langs = sorted(phrasings)
    questions: list[Question] = []
    mix: dict[str, int] = defaultdict(int)
    lang_count: dict[str, int] = defaultdict(int)
    per_chat = [n_questions // n_chats + (1 if i < n_questions % n_chats else 0) for i in range(n_chats)]
    chat_questions: list[list[int]] = []
    for c in range(n_chats):
        chat_id = first_chat + c
        client_lang = rng.choice(CLIENT_LANGS)
        seen_replies: set[str] = set()
        mine: list[int] = []
        attempts = 0
        while len(mine) < per_chat[c]:
            attempts += 1
            if attempts > 500:
                raise RuntimeError(f"could not find {per_chat[c]} questions with distinct replies for a chat")
            lang = rng.choice(langs)
            roll = rng.random()
            if roll < 0.08:
                kind, text = "out of scope", rng.choice(OUT_OF_SCOPE.get(lang, OUT_OF_SCOPE["en"]))
            elif roll < 0.28:
                kind, text = "typo", typo(rng.choice(phrasings[lang]), rng)
            else:
                kind, text = "phrasing", rng.choice(phrasings[lang])
            text = text.strip()
            if not text or text.startswith("/"):
                continue
            expected = predictor.reply(text, client_lang)
            if expected is None or expected in seen_replies:
                continue  # a second question with the same reply could not be told apart
            seen_replies.add(expected)
            mix[kind] += 1
            lang_count[lang] += 1
            mine.append(len(questions))
            questions.append(Question(len(questions), chat_id, len(mine) - 1, text, client_lang, expected))
        chat_questions.append(mine)
    # Push order: round by round (every chat's 1st question, then every 2nd, ...), chats shuffled per round.
    order: list[int] = []
    for r in range(max(per_chat)):
        round_ = [qs[r] for qs in chat_questions if r < len(qs)]
        rng.shuffle(round_)
        order.extend(round_)
    return Plan(questions, order, dict(mix), dict(lang_count))


def answer_shape(kb: KnowledgeBase) -> tuple[str, dict]:
    """A typical kyr-bot answer (HTML) and its keyboard, for the answer-sized echo run."""
    from bot.channels.telegram.markup import keyboard

    conversation = Conversation(kb, Matcher(kb, cache_dir=MODEL_CACHE), MemoryStore())
    conversation.set_identity(BOT_USERNAME)
    reply = conversation.screens.answer(kb.entries["detainer-must-honor"], "en")
    return reply.text, keyboard(reply.buttons).to_dict()
