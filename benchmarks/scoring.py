"""Scoring a labelled question set the way a person meets the bot: through the whole decision (routing
words, the matcher, its confidence), not the matcher's top entry alone.

Each item is ``{q, id, lang, kind, src}``: ``id`` is the entry that answers the question, a list of the
entries that answer it (best first), or null when the bot has no answer for it; ``route`` (emergency,
language) marks messages handled before matching. What is counted, per set:

- **wrong answers stated**: the reply shows an entry as the answer (small talk included) that is not a
  right one for the question, as a share of ALL questions. A "did you mean" or a fallback is never wrong.
- **top-1 in scope**: in-scope questions answered with a right entry.
- **answered or offered in scope**: answered rightly, or a "did you mean" whose options include a right entry.
- **fallback out of scope**: out-of-scope questions that get the fallback (strict), and those that get no
  answer at all (fallback or "did you mean").
- **did you mean**: how many replies offer options; **language**: replies in the question's language.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.core.conversation import clean_input
from bot.matching.decision import Decision, decide
from bot.matching.matcher import Matcher

ANSWERING = ("answer", "smalltalk", "alert")  # routes that show an entry as the answer
CLAIM_COUNTS_AS = "rumors"  # a claim's verdict answers what the rumor entry answers (scored as it)


def load_items(path: Path) -> list[dict]:
    """The items of one set file."""
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(items, list), path
    return items


def right_ids(item: dict) -> tuple[str, ...]:
    """The entries that answer an item (empty: out of scope)."""
    raw = item.get("id")
    if raw is None:
        return ()
    return tuple(raw) if isinstance(raw, list) else (raw,)


@dataclass(frozen=True)
class Outcome:
    """What the bot did with one question: the route, the entry shown as the answer (None when it did not
    answer), the options offered, the reply's language, and how long it took (seconds)."""

    route: str
    shown: str | None
    options: tuple[str, ...]
    lang: str | None  # None: the matcher detects no language (a baseline)
    seconds: float

    @classmethod
    def of(cls, decision: Decision, seconds: float) -> Outcome:
        shown = decision.entry_id if decision.route in ANSWERING else None
        if decision.route == "emergency" and decision.entry_id:
            shown = decision.entry_id  # an emergency screen answers with its entry
        if decision.route == "claim":
            shown = CLAIM_COUNTS_AS
        lang = decision.match.lang if decision.match is not None else decision.lang
        return cls(decision.route, shown, tuple(a.id for a in decision.options), lang, seconds)


def decide_all(matcher: Matcher, items: Iterable[dict]) -> list[Outcome]:
    """The bot's outcome for every item (through :func:`bot.matching.decision.decide`)."""
    out = []
    for item in items:
        text = clean_input(item["q"])
        start = time.perf_counter()
        decision = decide(matcher, text) if text else Decision("fallback", matcher.kb.default_language)
        out.append(Outcome.of(decision, time.perf_counter() - start))
    return out


def plain_outcomes(
    predict: Callable[[str], str | None], items: Iterable[dict], language: Callable[[str], str] | None = None
) -> list[Outcome]:
    """Outcomes of a baseline that only answers or falls back (``predict`` gives an entry id or None;
    ``language`` the language it detects, when it detects one)."""
    out = []
    for item in items:
        start = time.perf_counter()
        eid = predict(item["q"])
        seconds = time.perf_counter() - start
        lang = language(item["q"]) if language is not None else None
        out.append(Outcome("answer" if eid else "fallback", eid, (), lang, seconds))
    return out


@dataclass
class Score:
    """The figures of one matcher on one set (see the module); counts and shares."""

    questions: int
    in_scope: int
    out_of_scope: int
    wrong_stated: int
    right: int
    offered: int
    fallback: int
    no_answer: int
    did_you_mean: int
    lang_right: int
    lang_measured: int = 0
    routed: int = 0
    routed_right: int = 0
    seconds: list[float] = field(default_factory=list)
    wrong: list[tuple[dict, Outcome]] = field(default_factory=list)  # wrong answers stated
    missed: list[tuple[dict, Outcome]] = field(default_factory=list)  # in scope, neither answered nor offered

    def share(self, count: int, of: int) -> float:
        return count / of if of else 1.0

    @property
    def wrong_share(self) -> float:
        return self.share(self.wrong_stated, self.questions)

    @property
    def top1(self) -> float:
        return self.share(self.right, self.in_scope)

    @property
    def answered_or_offered(self) -> float:
        return self.share(self.right + self.offered, self.in_scope)

    @property
    def fallback_share(self) -> float:
        return self.share(self.fallback, self.out_of_scope)

    @property
    def no_answer_share(self) -> float:
        return self.share(self.no_answer, self.out_of_scope)

    @property
    def language(self) -> float | None:
        return self.share(self.lang_right, self.lang_measured) if self.lang_measured else None

    def percentile_ms(self, pct: float) -> float:
        ordered = sorted(self.seconds) or [0.0]
        return 1000 * ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]

    def add(self, other: Score) -> Score:
        """The two scores pooled (for totals over sets)."""
        pooled = Score(
            *(getattr(self, f) + getattr(other, f) for f in POOLED),
            seconds=self.seconds + other.seconds,
            wrong=self.wrong + other.wrong,
            missed=self.missed + other.missed,
        )
        return pooled


POOLED = (
    "questions",
    "in_scope",
    "out_of_scope",
    "wrong_stated",
    "right",
    "offered",
    "fallback",
    "no_answer",
    "did_you_mean",
    "lang_right",
    "lang_measured",
    "routed",
    "routed_right",
)


def empty() -> Score:
    return Score(*([0] * len(POOLED)))


def score(items: list[dict], outcomes: list[Outcome]) -> Score:
    """The figures for ``outcomes`` against ``items``' labels. Items with a ``route`` label are counted
    apart (``routed``, ``routed_right``): conversation routing, not the matcher, answers them."""
    result = empty()
    for item, got in zip(items, outcomes, strict=True):
        if item.get("route"):
            result.routed += 1
            result.routed_right += got.route == item["route"]
            continue
        right = right_ids(item)
        result.questions += 1
        if got.lang is not None:
            result.lang_measured += 1
            result.lang_right += got.lang == item["lang"]
        result.seconds.append(got.seconds)
        result.did_you_mean += got.route == "did_you_mean"
        if got.shown is not None and got.shown not in right:
            result.wrong_stated += 1
            result.wrong.append((item, got))
        if right:
            result.in_scope += 1
            if got.shown in right:
                result.right += 1
            elif got.route == "did_you_mean" and set(got.options) & set(right):
                result.offered += 1
            else:
                result.missed.append((item, got))
        else:
            result.out_of_scope += 1
            result.fallback += got.route == "fallback"
            result.no_answer += got.shown is None
    return result


def pooled(matcher: Matcher, sets: list[list[dict]]) -> Score:
    """One score for ``matcher`` over all ``sets`` (each a set file's items), decided and counted together."""
    total = empty()
    for items in sets:
        total = total.add(score(items, decide_all(matcher, items)))
    return total


def median_ms(scores: Iterable[Score]) -> float:
    values = [s for score_ in scores for s in score_.seconds]
    return 1000 * statistics.median(values) if values else 0.0
