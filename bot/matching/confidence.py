"""How sure the matcher is that its top entry is right: the signals it weighs, and the calibration that
turns them into a chance (0-1) that means what it says.

The calibration is a small logistic model fitted when the ranker is fitted (:mod:`.training`), on
training examples the ranker of that fit never saw: for each held-out example, the signals of the
ranker's top entry and whether that entry is the example's label. It is stored with the model, so a
content change refits both. :mod:`.matcher` answers above one chance, offers "did you mean" in the band
below it, and falls back under that.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# The signals the calibration weighs, in order (see Signals).
FEATURES = (
    "ranker_prob",
    "ranker_margin",
    "lexical_score",
    "lexical_agrees",
    "lexical_rival",
    "unknown_share",
    "unsupported_prob",
    "length",
    "coverage",
    "nearest_top",
    "nearest_rival",
    "nearest_agrees",
)
CALIBRATION_C = 1.0  # the calibration's logistic regression: inverse regularisation strength


@dataclass(frozen=True)
class Signals:
    """What the decision weighs about the ranker's top entry for one message (all 0-1 but ``length``).

    ``ranker_prob``: the ranker's probability; ``ranker_margin``: its lead over the runner-up;
    ``lexical_score``: the lexical scorer's score for the same entry / 100; ``lexical_agrees``: 1 when the
    lexical scorer's own best entry is the same; ``lexical_rival``: the lexical score / 100 of its own best
    entry when that is another one (0 when they agree); ``unknown_share``: share of the message's terms the
    knowledge base never uses; ``unsupported_prob``: the ranker's total probability for 'unsupported'
    entries; ``length``: log(1 + number of terms), how much the message says; ``coverage``: the share of
    the message's character n-grams the ranker saw in training (how far it is from everything the
    knowledge base says); ``nearest_top``: how near the message comes to the nearest training text of
    the top entry (:meth:`.neighbours.Neighbours.nearest`: the letter and word blocks' cosine
    similarities, averaged); ``nearest_rival``: the same for the nearer of the nearest texts of the
    ranker's second and third entries; ``nearest_agrees``: 1 when the top entry's text is strictly nearer.
    """

    ranker_prob: float
    ranker_margin: float
    lexical_score: float
    lexical_agrees: float
    lexical_rival: float
    unknown_share: float
    unsupported_prob: float
    length: float
    coverage: float
    nearest_top: float
    nearest_rival: float
    nearest_agrees: float

    def vector(self, names: Sequence[str] = FEATURES) -> tuple[float, ...]:
        """The signals called ``names``, in that order."""
        return tuple(float(getattr(self, name)) for name in names)


@dataclass(frozen=True)
class Calibration:
    """A fitted logistic model: the chance (0-1) that answering with the top entry is right."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    rows: int = 0  # held-out examples it was fitted on
    right: int = 0  # ... of which the ranker's top entry was right

    def chance(self, signals: Signals) -> float:
        """The chance that the top entry is right, for ``signals``."""
        z = self.bias + sum(w * x for w, x in zip(self.weights, signals.vector(self.features), strict=True))
        if not math.isfinite(z):  # a signal that is not a number (a damaged model): never sure
            return 0.0
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data (stored beside the ranker's vocabulary)."""
        return {
            "features": list(self.features),
            "weights": list(self.weights),
            "bias": self.bias,
            "rows": self.rows,
            "right": self.right,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        """The calibration written by :meth:`as_dict`; ValueError when it does not fit :data:`FEATURES`."""
        features = tuple(str(f) for f in data["features"])
        weights = tuple(float(w) for w in data["weights"])
        if not set(features) <= set(FEATURES) or len(features) != len(weights):
            raise ValueError("the calibration does not match the signals this version weighs")
        return cls(features, weights, float(data["bias"]), int(data.get("rows", 0)), int(data.get("right", 0)))


def fit_calibration(signals: Sequence[Signals], right: Sequence[bool]) -> Calibration:
    """Fit the calibration on held-out rows (the signals of the ranker's top entry, and whether it was
    right). Needs scikit-learn. With rows of one outcome only (too little content to hold any out), the
    chance is that outcome's share, whatever the signals."""
    rows, positives = len(right), sum(bool(r) for r in right)
    if positives in (0, rows):
        share = (positives + 0.5) / (rows + 1.0)
        return Calibration(FEATURES, (0.0,) * len(FEATURES), math.log(share / (1 - share)), rows, positives)
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=CALIBRATION_C, max_iter=1000)
    model.fit([s.vector() for s in signals], [bool(r) for r in right])
    weights = tuple(round(float(w), 6) for w in model.coef_[0])
    return Calibration(FEATURES, weights, round(float(model.intercept_[0]), 6), rows, positives)
