"""The whole fit behind the matcher (``kyr-bot train``, or a start or reload after a content edit): the
ranker, and the calibration of its confidence on training examples it did not see.

1. The training examples are dealt into :data:`FOLDS` folds by a stable hash of their text (so the same
   content always splits the same way). For each fold, a ranker is fitted on everything else (phrasings,
   titles and the other folds' examples).
2. Each example of the fold is read with that ranker exactly as a message is read (:meth:`Matcher.read`):
   the signals of its top entry, and whether that entry is the example's label, are one calibration row.
   So every example gives a row, read by a ranker that never saw it.
3. The calibration (:func:`.confidence.fit_calibration`) is fitted on those rows, and the ranker that
   ships is fitted again on everything, with the calibration stored beside it.

:data:`FOLDS` ranker fits on two thirds of the examples, one on all, and a tiny logistic model: about
three times the cost of one fit (see the README's figures).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from bot.knowledge import KnowledgeBase
from bot.matching.confidence import Signals, fit_calibration
from bot.matching.fitting import fit_model, saga_passes, training_texts
from bot.matching.ranker import Ranker, TextPair, kb_hash

FOLDS = 3  # the examples are read by rankers that did not see them, a third at a time

Reader = Callable[[str], "tuple[Signals, str, bool] | None"]  # text -> (signals, top entry, answerable) or None


def fold_of(text: str, folds: int = FOLDS) -> int:
    """The fold (0 to ``folds`` - 1) an example is dealt into, by a stable hash of its text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % folds


def fit_calibrated(
    kb: KnowledgeBase, prepare: Callable[[str], TextPair], reader_for: Callable[[Ranker], Reader]
) -> Ranker:
    """The ranker for ``kb`` with its calibration (see the module). ``prepare`` turns text into the
    ranker's input; ``reader_for(ranker)`` reads a message with ``ranker`` as the matcher does. Raises
    RankerUnavailable without scikit-learn."""
    texts, labels = training_texts(kb, prepare)
    examples_from = len(texts) - len(kb.examples)  # training_texts lists phrasings first, then examples
    fold = [fold_of(x.text) for x in kb.examples]
    passes = saga_passes(len(texts))  # every fit of this content makes the same passes, the folds' included
    signals: list[Signals] = []
    right: list[bool] = []
    for k in range(FOLDS):
        kept = [i for i in range(len(texts)) if i < examples_from or fold[i - examples_from] != k]
        read = reader_for(fit_model([texts[i] for i in kept], [labels[i] for i in kept], passes=passes))
        for example, f in zip(kb.examples, fold, strict=True):
            if f != k:
                continue
            found = read(example.text)
            if found is None:
                continue
            row, top, answerable = found
            if answerable:  # an unsupported top entry falls back: the chance of an answer is not asked
                signals.append(row)
                right.append(top == example.entry_id)
        del read  # this fold's ranker (and its nearest-text index) is not kept through the next fold's fit
    ranker = fit_model(texts, labels, digest=kb_hash(kb), passes=passes)
    ranker.calibration = fit_calibration(signals, right).as_dict()
    return ranker
