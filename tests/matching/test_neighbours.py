"""The nearest-text signal: the index gives exactly the cosine similarity to the nearest training text of
each entry, a model without the index is refitted rather than read wrongly, and a message that repeats
one of an entry's own examples is seen as close to it."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix, hstack

from bot.knowledge import KnowledgeBase
from bot.matching.fitting import training_texts, vectorizers
from bot.matching.matcher import Matcher
from bot.matching.neighbours import ARRAYS, MESSAGE_FEATURES, Neighbours
from bot.matching.ranker import Ranker, model_path

MESSAGES = [
    "que hago si la migra toca mi puerta",
    "my uncle is in the county jail with an ICE hold, what now",
    "zzzz qqq xylophone",
    "ice cream recipe",
    # a long story: only its MESSAGE_FEATURES weightiest features count
    "my brother was stopped on the highway near Rawlins for a broken tail light and the trooper asked for "
    "his papers, then called ICE, and now he is in the county jail with a hold and we do not know what to do "
    "or who to call or whether he can get out on bail before they move him somewhere far away from us " * 2,
]


def brute_force(x, labels: list[int], vector: np.ndarray, classes: list[int]) -> list[float]:
    """Each class's highest cosine similarity, one text at a time (the two blocks make norms of sqrt 2)."""
    sims = np.asarray(x @ vector).ravel() / 2.0
    return [max((s for s, y in zip(sims, labels, strict=True) if y == c), default=0.0) for c in classes]


def test_nearest_is_the_best_cosine_similarity_of_each_class(kb: KnowledgeBase, matcher: Matcher):
    texts, labels = training_texts(kb, matcher.prepare)
    chars, words = vectorizers()
    x = hstack([chars.fit_transform([t[0] for t in texts]), words.fit_transform([t[1] for t in texts])]).tocsr()
    names = sorted(set(labels))
    y = [names.index(label) for label in labels]
    index = Neighbours.build(x, y, len(names))
    ours = Ranker(
        classes=names,
        char_vocab={str(k): int(v) for k, v in chars.vocabulary_.items()},
        char_idf=chars.idf_,
        word_vocab={str(k): int(v) for k, v in words.vocabulary_.items()},
        word_idf=words.idf_,
        coef=np.zeros((len(names), x.shape[1]), dtype=np.float32),
        intercept=np.zeros(len(names)),
        neighbours=index,
    )
    everyone = list(range(len(names)))
    for message in [*MESSAGES, texts[0][0], texts[-1][1]]:
        reading = ours.read(matcher.prepare(message))
        assert (len(reading.idx) > MESSAGE_FEATURES) == (message == MESSAGES[-1])
        dense = np.zeros(x.shape[1])
        weightiest = np.argsort(-reading.values, kind="stable")[:MESSAGE_FEATURES]  # a long story's count
        dense[reading.idx[weightiest]] = reading.values[weightiest]
        expected = brute_force(x, y, dense, everyone)
        np.testing.assert_allclose(ours.nearest(reading, everyone), expected, atol=1e-6)
        # A few classes, in any order, give the same numbers as in the full list.
        few = [everyone[-1], everyone[0], everyone[len(everyone) // 2]]
        np.testing.assert_allclose(ours.nearest(reading, few), [expected[c] for c in few], atol=1e-6)
    # A training text (of no more than MESSAGE_FEATURES features) is its own nearest neighbour.
    short = [x for x in kb.examples if len(ours.read(matcher.prepare(x.text)).idx) <= MESSAGE_FEATURES]
    for example in short[:: max(1, len(short) // 20)]:
        reading = ours.read(matcher.prepare(example.text))
        assert ours.nearest(reading, [names.index(example.entry_id)])[0] == pytest.approx(1.0, abs=1e-5)
    # A message that shares no feature with the knowledge base is near nothing.
    assert ours.nearest(ours.read(("", "")), everyone) == [0.0] * len(names)


def test_the_index_refuses_labels_that_do_not_fit():
    x = csr_matrix(np.eye(3))
    with pytest.raises(ValueError, match="3 training texts but 2 labels"):
        Neighbours.build(x, [0, 1], 2)
    index = Neighbours.build(x, [1, 0, 1], 2)
    assert index.texts == 3 and index.class_rows.tolist() == [0, 1, 3]
    with pytest.raises(ValueError, match="does not fit"):
        Neighbours.from_arrays(index.arrays(), 5, 3)
    with pytest.raises(ValueError, match="does not fit"):
        Neighbours.from_arrays(index.arrays(), 2, 4)
    broken = {**index.arrays(), "neighbour_rows": index.rows + 5}  # a text that is not there
    with pytest.raises(ValueError, match="does not fit"):
        Neighbours.from_arrays(broken, 2, 3)
    assert Neighbours.from_arrays(index.arrays(), 2, 3).nearest(np.array([2]), np.array([2.0]), [1, 0]) == [1.0, 0.0]


def test_a_model_without_the_index_is_not_read(ranker: Ranker, tmp_path):
    """A model saved before the index existed (or with it cut off) is refused, so the cache refits it,
    rather than read with every similarity 0."""
    path = model_path(tmp_path, ranker.digest)
    ranker.save(path)
    with np.load(path, allow_pickle=False) as data:
        kept = {k: data[k] for k in data.files if k not in ARRAYS}
    np.savez_compressed(path, **kept)
    with pytest.raises(KeyError):
        Ranker.load(path)


def test_an_example_repeated_word_for_word_is_near_its_entry(kb: KnowledgeBase, matcher: Matcher):
    """What the calibration weighs: a message that is one of the examples of the entry the ranker puts
    first reads as close to that entry's texts, and closer than to the runners-up (a long story's, cut to
    its weightiest features, need not)."""
    seen = 0
    for example in kb.examples[::50]:
        reading = matcher.read(example.text)
        assert matcher.ranker is not None
        if reading is None or matcher.ranker.classes[int(reading.probs.argmax())] != example.entry_id:
            continue
        if len(matcher.ranker.read(matcher.prepare(example.text)).idx) > MESSAGE_FEATURES:
            continue
        seen += 1
        assert reading.signals.nearest_top == pytest.approx(1.0, abs=1e-5), example.text
        assert reading.signals.nearest_agrees == 1.0 or reading.signals.nearest_rival == pytest.approx(1.0, abs=1e-5)
    assert seen >= 20
