"""How sure the matcher is that its top entry is right: the signals it weighs and the fitted model that
turns them into a chance (0-1). :mod:`.matcher` answers, offers "did you mean" or falls back by it."""

from __future__ import annotations

import math
from dataclasses import dataclass

# A tiny logistic model over some of the signals below says how likely answering the ranker's top entry
# is right. Fitted on the tuning sets only (tests/data/dev_questions.yaml, tests/data/holdout_questions.yaml,
# benchmarks/data/real_voices.yaml) by `python benchmarks/tune_decision.py`, which prints these numbers.
# The margin to the runner-up and the share of unknown words were measured too and left out: the model
# made no fewer errors on held-out sets with them (`python benchmarks/tune_decision.py --ablation`).
SIGNALS = ("ranker_prob", "ranker_margin", "lexical_score", "unknown_share", "unsupported_prob")
DECISION_FEATURES = ("ranker_prob", "lexical_score", "unsupported_prob")
DECISION_WEIGHTS = (2.902, 2.130, -6.339)
DECISION_BIAS = -0.241


@dataclass(frozen=True)
class Signals:
    """What the decision may weigh, for the ranker's top entry (all 0-1).

    ``ranker_prob``: the ranker's probability; ``ranker_margin``: its lead over the runner-up;
    ``lexical_score``: the lexical scorer's score for the same entry / 100; ``unknown_share``: share of
    query terms the knowledge base never uses; ``unsupported_prob``: the ranker's total probability for
    'unsupported' entries.
    """

    ranker_prob: float
    ranker_margin: float
    lexical_score: float
    unknown_share: float
    unsupported_prob: float

    def vector(self, names: tuple[str, ...] = DECISION_FEATURES) -> tuple[float, ...]:
        """The signals called ``names``, in that order (default: those the decision uses)."""
        return tuple(getattr(self, name) for name in names)


def confidence(signals: Signals) -> float:
    """How likely (0-1) answering with the ranker's top entry is right, by the fitted decision model."""
    z = DECISION_BIAS + sum(w * x for w, x in zip(DECISION_WEIGHTS, signals.vector(), strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
