"""The knowledge base's domain objects: entries, topics, contacts, the officer card and the lexicon.

Everything here is immutable data, built by the loaders in this package after validation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.yamlfile import Problem

ANSWER_KINDS = ("answer", "smalltalk", "unsupported")
DRAWN_FIELDS = ("heading", "statement", "explanation", "hotline", "small_print")  # the card, top to bottom


@dataclass(frozen=True)
class Source:
    """A source an answer cites.

    ``title`` is the original's title (publisher, page, date), for reviewers; ``url`` is the original
    publisher's address, the one users are sent to; ``names`` is the short name users see, per
    language (a Spanish name of an English page says "(en inglés)"); ``lang`` is the language the page
    is written in; ``read_via`` is the address of a copy the writer read when the original could not be
    opened (a press-wire copy, an archive capture): kept for reviewers, never shown to users.
    """

    title: str
    url: str
    names: Mapping[str, str] = field(default_factory=dict)
    lang: str = "en"
    read_via: str | None = None

    def name(self, lang: str) -> str:
        """The name users see in ``lang`` (the title when the data gives none)."""
        return self.names.get(lang) or self.title


@dataclass(frozen=True)
class LegalReview:
    """A record that a named person or organisation reviewed content as a lawyer would, on a date."""

    by: str
    date: dt.date


@dataclass(frozen=True)
class LocalizedText:
    """The part of an entry written in one language: title, question phrasings, answer (≤ 900 characters)
    and ``gist``, what to do first in a sentence or two (shown first, and alone in inline results)."""

    title: str
    questions: tuple[str, ...]
    answer: str
    gist: str = ""
    short: str = ""  # a short title for buttons (the title itself when it is short enough)

    @property
    def label(self) -> str:
        """What a button that opens the entry says: the short title, else the title."""
        return self.short or self.title


@dataclass(frozen=True)
class TrainingExample:
    """A message written the way people ask (``examples/*.yaml``), labelled with the entry that answers
    it; only the learned ranker reads these."""

    entry_id: str
    lang: str
    text: str


@dataclass(frozen=True)
class Entry:
    """One topic: the same answer in every language, with its sources and review date.

    ``kind`` is 'answer', 'smalltalk' (greeting, thanks) or 'unsupported' (a neighbouring question the
    bot must not answer). ``officer_statement`` is an optional English line an emergency screen adds to
    the shared officer card for its own situation; ``officer_meaning`` says what it means, per language.
    """

    id: str
    kind: str
    reviewed: dt.date
    related: tuple[str, ...]
    sources: tuple[Source, ...]
    texts: Mapping[str, LocalizedText]
    officer_statement: str | None = None
    officer_meaning: Mapping[str, str] = field(default_factory=dict)
    legal_review: LegalReview | None = None
    scope: str = ""  # one sentence, for writers and reviewers: which questions this entry answers
    emergency_button: bool = False  # the answer carries the 🆘 Emergency button (e.g. for someone afraid)
    path: Path | None = None  # the file it was read from
    lines: Mapping[str, int] = field(default_factory=dict)  # where each text starts: "en.answer" -> line

    def text(self, lang: str) -> LocalizedText:
        """The entry in ``lang`` (every entry has every language of the knowledge base)."""
        return self.texts[lang]

    @property
    def answerable(self) -> bool:
        """False for 'unsupported' entries, which describe questions the bot cannot answer."""
        return self.kind != "unsupported"


@dataclass(frozen=True)
class TopicGroup:
    """A group in the /topics menu: its label per language and the entry ids it lists, in order."""

    id: str
    labels: Mapping[str, str]
    entry_ids: tuple[str, ...]


@dataclass(frozen=True)
class Confirmation:
    """When a source last confirmed a contact value. ``precision`` is 'year', 'month' or 'day'."""

    date: dt.date
    precision: str
    source: str


@dataclass(frozen=True)
class Contacts:
    """Contact values (text, or text per language), when each was last confirmed, and the answer footer.

    ``operator`` (who runs this copy of the bot, from the configuration) replaces the ``operator`` value.
    """

    values: Mapping[str, str | Mapping[str, str]]
    footer: Mapping[str, str]
    confirmed: Mapping[str, Confirmation] = field(default_factory=dict)
    operator: str | None = None
    stale_note: Mapping[str, str] = field(default_factory=dict)  # added once to the footer when a contact is old

    def values_for(self, lang: str) -> dict[str, str]:
        """Placeholder values in one language; each confirmed value ``x`` also gives ``x_as_of``
        ('October 2021', 'octubre de 2021')."""
        from bot.i18n import format_as_of

        out: dict[str, str] = {}
        for key, value in self.values.items():
            out[key] = value.get(lang, "") if isinstance(value, Mapping) else value
        for key, confirmation in self.confirmed.items():
            out[f"{key}_as_of"] = format_as_of(confirmation.date, confirmation.precision, lang)
        if self.operator:
            out["operator"] = self.operator
        return out

    def placeholder_names(self) -> set[str]:
        """Every name an answer may use in braces (``legal_review`` is filled from the review record)."""
        return set(self.values) | {f"{key}_as_of" for key in self.confirmed} | {"legal_review"}


@dataclass(frozen=True)
class OfficerCard:
    """The one English statement to show an officer, with what it means in each language. ``path`` and
    ``lines`` say where each text was written (``statement``, ``explanation.<lang>``), for problems found
    later (the rights card that draws them)."""

    statement: str
    explanation: Mapping[str, str]
    reviewed: dt.date
    sources: tuple[Source, ...]
    path: Path = Path("officer_card.yaml")
    lines: Mapping[str, int] = field(default_factory=dict)

    @property
    def publishers(self) -> tuple[str, ...]:
        """The publishers of the sources (each title's part before its colon), without repeats."""
        return tuple(dict.fromkeys(s.title.split(":", 1)[0].strip() for s in self.sources))


@dataclass(frozen=True)
class Lexicon:
    """Words that help the matcher; see knowledge/lexicon.yaml."""

    stopwords: Mapping[str, frozenset[str]] = field(default_factory=dict)
    abbreviations: Mapping[str, str] = field(default_factory=dict)
    phrases: Mapping[str, str] = field(default_factory=dict)
    synonyms: tuple[tuple[str, ...], ...] = ()
    language_hints: Mapping[str, frozenset[str]] = field(default_factory=dict)
    everyday: Mapping[str, frozenset[str]] = field(default_factory=dict)  # real words never "repaired"


@dataclass(frozen=True)
class RoutingWords:
    """Folded words and phrases from routing.yaml that mark messages that are not questions."""

    help_words: frozenset[str] = frozenset()
    filler_words: frozenset[str] = frozenset()
    here_now: tuple[str, ...] = ()
    agent_words: frozenset[str] = frozenset()
    short_message_words: int = 5
    language_names: Mapping[str, frozenset[str]] = field(default_factory=dict)
    language_words: frozenset[str] = frozenset()
    smalltalk_words: frozenset[str] = frozenset()
    smalltalk_entry: str | None = None
    card_words: frozenset[str] = frozenset()
    card_kinds: frozenset[str] = frozenset()  # "red", "rights", "derechos": a typed message names the rights card
    address_words: frozenset[str] = frozenset()  # "hermano", "sir": how people address the bot
    possessive_words: frozenset[str] = frozenset()  # "mi", "my": after these, "hermano" is a person asked about
    alert_share: tuple[str, ...] = ()  # "pásenlo", "share with everyone": a message meant to be passed on
    alert_coming: tuple[str, ...] = ()  # "van a estar", "going to be at": agents somewhere at a coming time
    alert_words: frozenset[str] = frozenset()  # "retén", "checkpoint", "redada": what alerts warn of
    alert_times: frozenset[str] = frozenset()  # "mañana", "sábado", "tonight": when an alert says it happens
    alert_entry: str | None = None  # the entry that answers an alert: how to check it before forwarding
    own_question: tuple[str, ...] = ()  # "qué hago", "what do I do": a question about one's own situation


@dataclass(frozen=True)
class Affiliate:
    """Wording that belongs to whoever deploys the bot, from settings.yaml.

    ``commands`` maps each command (help, topics, …) to its name per language (the first language's
    name is the one Telegram's menu shows to everyone else); ``content_commands`` maps a command to the
    entry it opens; ``region`` and ``organization`` are per-language names used in menus and texts.
    """

    commands: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    content_commands: Mapping[str, str] = field(default_factory=dict)
    region: Mapping[str, str] = field(default_factory=dict)
    organization: Mapping[str, str] = field(default_factory=dict)

    def names(self, lang: str) -> dict[str, str]:
        """``{"region": …, "organization": …}`` in ``lang``, for texts that name them."""
        return {"region": self.region.get(lang, ""), "organization": self.organization.get(lang, "")}


@dataclass(frozen=True)
class Origin:
    """Where a card text was written: file and line."""

    path: Path
    line: int


@dataclass(frozen=True)
class CardText:
    """The card in one language, every placeholder filled and white space collapsed (except the caption)."""

    lang: str
    heading: str
    statement: str  # English, the same on every card
    explanation: str  # what the statement says and what to do, in ``lang``
    hotline: str
    small_print: str
    caption: str  # sent with the picture, not drawn on it
    origins: Mapping[str, Origin]  # field name -> where it was written

    def drawn(self) -> tuple[tuple[str, str], ...]:
        """``(field, text)`` for each text drawn on the card, top to bottom."""
        return tuple((name, getattr(self, name)) for name in DRAWN_FIELDS)


@dataclass(frozen=True)
class CardSet:
    """The card in every language."""

    reviewed: dt.date
    publishers: tuple[str, ...]
    texts: Mapping[str, CardText]

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the card has, in the order of settings.yaml."""
        return tuple(self.texts)

    def text(self, lang: str) -> CardText:
        """The card in ``lang``; KeyError naming the languages there are when it has none."""
        try:
            return self.texts[lang]
        except KeyError:
            raise KeyError(f"no card in {lang!r}; languages: {', '.join(self.texts)}") from None


@dataclass(frozen=True)
class ClaimText:
    """A circulating claim in one language: the claim in a sentence, how people pass it on, what is known."""

    claim: str
    phrasings: tuple[str, ...]
    known: str


@dataclass(frozen=True)
class Claim:
    """A claim seen circulating (claims.yaml): its ``verdict`` ('false', 'unverified' or 'context': never
    firmer than its sources), the day its sources ``checked`` it, the sources, and its texts per language."""

    id: str
    verdict: str
    checked: dt.date
    sources: tuple[Source, ...]
    texts: Mapping[str, ClaimText]
    path: Path | None = None
    line: int = 1
    checked_precision: str = "day"  # 'day', 'month' or 'year': as precise as the source's own date


@dataclass(frozen=True)
class KnowledgeBase:
    """The whole validated knowledge base. ``warnings`` are problems that do not stop the bot (stale
    reviews, old contacts, hard reading level)."""

    directory: Path
    languages: tuple[str, ...]
    default_language: str
    entries: Mapping[str, Entry]
    topics: tuple[TopicGroup, ...]
    emergency: tuple[str, ...]
    contacts: Contacts
    lexicon: Lexicon
    officer_card: OfficerCard | None = None
    affiliate: Affiliate = field(default_factory=Affiliate)
    routing: RoutingWords = field(default_factory=RoutingWords)
    legal_review: LegalReview | None = None
    card: CardSet | None = None  # the rights card's texts (knowledge/card.yaml), when there is one
    examples: tuple[TrainingExample, ...] = ()  # labelled real-voice messages for the ranker (examples/*.yaml)
    claims: tuple[Claim, ...] = ()  # claims seen circulating, with what is known (claims.yaml)
    time_zone: str = "UTC"  # where the bot's users live (settings.yaml): the dates it writes are theirs
    warnings: tuple[Problem, ...] = ()

    def entry(self, entry_id: str) -> Entry | None:
        """The entry with that id, or None."""
        return self.entries.get(entry_id)
