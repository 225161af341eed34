"""How close a message comes to the nearest training text of an entry: a signal for the calibration.

The ranker (:mod:`.ranker`) weighs every feature of a message against every entry at once; it cannot
tell a message that reads almost exactly like one of an entry's training texts from one that only
shares scattered n-grams with many. :class:`Neighbours` keeps the TF-IDF vectors of every training text
(titles, question phrasings and examples, the ranker's own features) indexed by feature, and gives the
cosine similarity of a message to the nearest text of a few entries. :mod:`.confidence` weighs it for
the ranker's top entry against its two runners-up.

Measured (``python -m benchmarks.seeds 0 1 2 3 4 5 6 7``, means over eight SAGA seeds, December 2026,
with the answer band then at 80%): on the tuning sets 9.0 → 8.4 wrong answers stated, top-1 90.6% →
91.0%, answered or offered 96.7% → 96.5%; on the unseen sets 23.0 → 20.5 wrong, top-1 88.7% → 88.9%,
plain fallback 91.3% → 92.4%, answered or offered 95.3% → 94.8%. The nearest text of the top entry
alone changed nothing (9.1 and 23.2 wrong); against the nearest text of every other entry it did about
as well (8.7 and 21.6) and reads about seven times as many postings.

Scoring needs only numpy; :meth:`Neighbours.build` takes the fit's scipy matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# A message's features that count, its weightiest: 128 gave the same figures as all of them on the
# tuning sets over eight seeds (64: 8.5 wrong answers against 8.4), and a long story's common n-grams
# are the longest postings (a 1,500-character story: about 1,200 features, 35,000 postings, 0.6 ms).
MESSAGE_FEATURES = 128
TABLE_BLOCK = 2048  # features whose postings are counted at a time when the table is worked out
ARRAYS = ("neighbour_rows", "neighbour_values", "neighbour_feature_starts", "neighbour_class_rows")  # in the .npz


@dataclass
class Neighbours:
    """Every training text's features as postings, feature by feature (scipy's CSC layout).

    Texts are numbered class by class: the texts of class ``c`` (an index into the ranker's classes)
    are ``class_rows[c]`` to ``class_rows[c + 1] - 1``. The postings of feature ``j`` are
    ``feature_starts[j]`` to ``feature_starts[j + 1] - 1``, in text order: ``rows`` names the text and
    ``values`` its TF-IDF weight for the feature (the ranker's vector: letters and words, each block
    l2-normalised). The postings of feature ``j`` for class ``c`` start at ``_table[j, c]``, worked out on
    creation (4 bytes a feature and class: 2.9 MB today). ValueError when the arrays do not fit together
    (as a damaged model's would not): they are checked before anything is worked out from them."""

    rows: np.ndarray  # (postings,) int32
    values: np.ndarray  # (postings,) float32
    feature_starts: np.ndarray  # (features + 1,) int64
    class_rows: np.ndarray  # (classes + 1,) int64
    _table: np.ndarray = field(init=False, repr=False, compare=False)  # (features, classes + 1) int32

    def __post_init__(self) -> None:
        self._check()
        features, classes = len(self.feature_starts) - 1, len(self.class_rows) - 1
        # Postings per feature and class, then where each class's postings start within each feature's:
        # a block of features at a time, so the scratch arrays stay small whatever the content's size.
        table = np.empty((features, classes + 1), dtype=np.int32)
        for first in range(0, features, TABLE_BLOCK):
            last = min(features, first + TABLE_BLOCK)
            a, b = int(self.feature_starts[first]), int(self.feature_starts[last])
            cells = np.repeat(np.arange(last - first, dtype=np.int32) * np.int32(classes),
                              np.diff(self.feature_starts[first : last + 1]))  # fmt: skip
            cells += np.searchsorted(self.class_rows, self.rows[a:b], side="right").astype(np.int32) - 1
            counts = np.bincount(cells, minlength=(last - first) * classes).reshape(last - first, classes)
            block = table[first:last]
            block[:, 0] = self.feature_starts[first:last]
            np.cumsum(counts, axis=1, out=block[:, 1:])
            block[:, 1:] += block[:, :1]
        self._table = table

    def _check(self) -> None:
        """ValueError unless the arrays are an index as :meth:`build` makes one."""
        rows, values, starts, class_rows = self.rows, self.values, self.feature_starts, self.class_rows
        fits = (
            rows.dtype == np.int32
            and values.dtype == np.float32
            and starts.dtype == np.int64
            and class_rows.dtype == np.int64
            and rows.ndim == values.ndim == starts.ndim == class_rows.ndim == 1
            and len(rows) == len(values) < 2**31  # the table holds offsets as int32
            and len(starts) >= 1
            and len(class_rows) >= 1
            and int(starts[0]) == 0
            and int(starts[-1]) == len(rows)
            and int(class_rows[0]) == 0
            and bool((np.diff(starts) >= 0).all())
            and bool((np.diff(class_rows) >= 0).all())
            and bool(np.isfinite(values).all())
            and bool((values >= 0).all())
        )
        if fits and len(rows):
            fits = int(rows.min()) >= 0 and int(rows.max()) < self.texts
            # Within each feature the texts are in order, each once: rows only fall where a feature starts.
            rises = np.diff(rows) > 0
            rises[starts[1:-1][(starts[1:-1] > 0) & (starts[1:-1] < len(rows))] - 1] = True
            fits = fits and bool(rises.all())
        if not fits:
            raise ValueError("the nearest-text index does not fit together")

    @property
    def texts(self) -> int:
        """How many training texts are indexed."""
        return int(self.class_rows[-1])

    @classmethod
    def build(cls, x: Any, labels: Sequence[int], classes: int, width: int | None = None) -> Neighbours:
        """The index of ``x`` (a scipy sparse matrix, one row per training text, the ranker's features
        in its first ``width`` columns, default all: the fit's matrix keeps the intercept's ones last),
        whose row ``i`` belongs to class ``labels[i]`` (0 to ``classes`` - 1). ValueError when the rows
        and labels differ in number or a label is not a class index."""
        y = np.asarray(labels, dtype=np.int64)
        if x.shape[0] != len(y):
            raise ValueError(f"{x.shape[0]} training texts but {len(y)} labels")
        if len(y) and not 0 <= int(y.min()) <= int(y.max()) < classes:
            raise ValueError(f"labels must be class indices from 0 to {classes - 1}")
        order = np.argsort(y, kind="stable")  # texts class by class, in their order within a class
        by_feature = x.tocsr()[order].tocsc()
        by_feature.sum_duplicates()
        by_feature.sort_indices()
        class_rows = np.concatenate([[0], np.cumsum(np.bincount(y, minlength=classes))]).astype(np.int64)
        end = int(by_feature.indptr[width]) if width is not None else len(by_feature.indices)
        return cls(
            by_feature.indices[:end].astype(np.int32),
            by_feature.data[:end].astype(np.float32),
            by_feature.indptr[: (width if width is not None else by_feature.shape[1]) + 1].astype(np.int64),
            class_rows,
        )

    def nearest(self, idx: np.ndarray, values: np.ndarray, classes: Sequence[int]) -> list[float]:
        """For a message's features (``idx``, column indices; ``values``, their weights: the ranker's
        :meth:`~.ranker.Ranker.vector`; only the :data:`MESSAGE_FEATURES` weightiest count), how near it
        comes (0-1) to the nearest training text of each class in ``classes`` (class indices), in that
        order: the mean of the two blocks' cosine similarities (letters and words; each vector's blocks are
        l2-normalised, so the dot product is halved). 1.0 for a text identical to the message when both
        have letters and words; at most 0.5 when either has no known word; 0.0 for a class whose texts
        share no feature with it. ``idx`` and ``classes`` must be in range (0 up to the ranker's features
        and classes): a number too large raises IndexError, a negative one would count from the end."""
        texts = self.texts
        if not len(idx) or not texts or not classes:
            return [0.0] * len(classes)
        if len(idx) > MESSAGE_FEATURES:  # a long story: its weightiest features (see MESSAGE_FEATURES)
            keep = np.argsort(-values, kind="stable")[:MESSAGE_FEATURES]  # ties: the first ones
            idx, values = idx[keep], values[keep]
        wanted = np.asarray(classes, dtype=np.int64)
        spans = self._table[idx]  # (features, classes + 1): where each class's postings start
        lo, hi = spans[:, wanted].ravel(), spans[:, wanted + 1].ravel()  # (features x classes)
        lengths = hi - lo
        total = int(lengths.sum())
        if not total:
            return [0.0] * len(classes)
        # Every posting in those ranges, with the message's weight for its feature.
        pos = np.arange(total) + np.repeat(lo - (np.cumsum(lengths) - lengths), lengths)
        weights = np.repeat(np.repeat(values.astype(np.float32), len(wanted)), lengths)
        sims = np.bincount(self.rows[pos], weights=self.values[pos] * weights, minlength=texts)
        out: list[float] = []
        for c in wanted.tolist():
            start, end = int(self.class_rows[c]), int(self.class_rows[c + 1])
            out.append(float(sims[start:end].max()) / 2.0 if end > start else 0.0)
        return out

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays to store in the model's ``.npz`` (named as :data:`ARRAYS`)."""
        return dict(zip(ARRAYS, (self.rows, self.values, self.feature_starts, self.class_rows), strict=True))

    @classmethod
    def from_arrays(cls, data: Any, classes: int, width: int) -> Neighbours:
        """The index stored by :meth:`arrays` (``data``: the opened ``.npz``, or a dict) for a ranker of
        ``classes`` classes and ``width`` features. KeyError when an array is missing, ValueError when
        they do not fit the ranker or each other."""
        rows, values, feature_starts, class_rows = (np.asarray(data[name]) for name in ARRAYS)
        if len(class_rows) != classes + 1 or len(feature_starts) != width + 1:
            raise ValueError("the nearest-text index does not fit the model")
        return cls(rows, values, feature_starts, class_rows)  # the stored types, checked: never cast
