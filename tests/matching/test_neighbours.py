"""The nearest-text signal: the index gives exactly the cosine similarity to the nearest training text of
each entry, a model without the index is refitted rather than read wrongly, and a message that repeats
one of an entry's own examples is seen as close to it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.sparse import csr_matrix, hstack

from bot.knowledge import KnowledgeBase
from bot.matching.fitting import training_texts, vectorizers
from bot.matching.matcher import Matcher
from bot.matching.neighbours import ARRAYS, MESSAGE_FEATURES, Neighbours
from bot.matching.ranker import Ranker, kb_hash, load_ranker, model_path

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


def whole(ranker: Ranker, pair: tuple[str, str]) -> bool:
    """A text whose similarity to itself is 1: it has letter and word features, at most MESSAGE_FEATURES."""
    idx = ranker.read(pair).idx
    letters = int((idx < len(ranker.char_vocab)).sum())
    return 0 < letters < len(idx) <= MESSAGE_FEATURES


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
    # A training text (with letters and words, and no more than MESSAGE_FEATURES features) is its own
    # nearest neighbour.
    short = [x for x in kb.examples if whole(ours, matcher.prepare(x.text))]
    for example in short[:: max(1, len(short) // 20)]:
        reading = ours.read(matcher.prepare(example.text))
        assert ours.nearest(reading, [names.index(example.entry_id)])[0] == pytest.approx(1.0, abs=1e-5)
    # A message that shares no feature with the knowledge base is near nothing.
    assert ours.nearest(ours.read(("", "")), everyone) == [0.0] * len(names)


def test_the_index_refuses_labels_or_a_model_that_do_not_fit():
    x = csr_matrix(np.eye(3))
    with pytest.raises(ValueError, match="3 training texts but 2 labels"):
        Neighbours.build(x, [0, 1], 2)
    index = Neighbours.build(x, [1, 0, 1], 2)
    assert index.texts == 3 and index.class_rows.tolist() == [0, 1, 3]
    with pytest.raises(ValueError, match="does not fit"):
        Neighbours.from_arrays(index.arrays(), 5, 3)  # another number of classes
    with pytest.raises(ValueError, match="does not fit"):
        Neighbours.from_arrays(index.arrays(), 2, 4)  # another number of features


def good_arrays() -> dict[str, np.ndarray]:
    """A small index: 3 texts (text 0 of class 0, texts 1-2 of class 1) over 3 features."""
    x = csr_matrix(np.array([[1.0, 0, 0], [0, 1, 0.5], [0, 0, 1]]))
    return Neighbours.build(x, [0, 1, 1], 2).arrays()


def spoilt(name: str, change) -> dict[str, np.ndarray]:
    arrays = good_arrays()
    arrays[name] = change(arrays[name].copy())
    return arrays


def set_at(i: int, value):
    def change(a):
        a[i] = value
        return a

    return change


@pytest.mark.parametrize(
    "arrays",
    [
        spoilt("neighbour_class_rows", set_at(0, 1)),  # the first class does not start at text 0
        spoilt("neighbour_class_rows", lambda a: a[::-1].copy()),  # classes in decreasing order
        spoilt("neighbour_feature_starts", set_at(0, 1)),  # the first feature does not start at 0
        spoilt("neighbour_feature_starts", lambda a: np.array([0, 3, 1, 4])),  # a feature ends before it starts
        spoilt("neighbour_rows", lambda a: a[::-1].copy()),  # texts out of order within a feature
        spoilt("neighbour_rows", lambda a: a + 5),  # a text that is not there
        spoilt("neighbour_rows", lambda a: a.astype(np.int64) + 2**32),  # would wrap round as int32
        spoilt("neighbour_class_rows", lambda a: a.astype(np.float64)),  # not whole numbers
        spoilt("neighbour_values", set_at(0, np.nan)),  # not a number: it would make the bot sure
        spoilt("neighbour_values", set_at(0, -1.0)),
        spoilt("neighbour_values", lambda a: a[:-1].copy()),  # one value fewer than postings
    ],
)
def test_a_damaged_index_is_refused(arrays):
    with pytest.raises(ValueError, match="does not fit"):
        Neighbours.from_arrays(arrays, 2, 3)


def test_a_good_index_reads_back():
    index = Neighbours.from_arrays(good_arrays(), 2, 3)
    assert index.texts == 3 and index.class_rows.tolist() == [0, 1, 3]
    # Feature 2 with weight 2: text 2 (class 1) has weight 1 there, text 0 (class 0) none; halved.
    assert index.nearest(np.array([2]), np.array([2.0]), [1, 0]) == [1.0, 0.0]
    assert index.nearest(np.array([], dtype=np.int64), np.array([]), [0, 1]) == [0.0, 0.0]
    with pytest.raises(ValueError, match="labels must be class indices"):
        Neighbours.build(csr_matrix(np.eye(2)), [0, 2], 2)


def test_a_model_without_the_index_or_damaged_is_fitted_again(kb: KnowledgeBase, ranker: Ranker, tmp_path, monkeypatch):
    """A model saved before the index existed (or with it cut off), or a file cut short on disk, is refused
    and the cache fits a new one, rather than read with every similarity 0 or stopping the bot."""
    from bot.matching import ranker as ranker_module

    path = model_path(tmp_path, kb_hash(kb))
    ranker.save(path)
    with np.load(path, allow_pickle=False) as data:
        kept = {k: data[k] for k in data.files if k not in ARRAYS}
    np.savez_compressed(path, **kept)
    with pytest.raises(KeyError):
        Ranker.load(path)
    for damage in ("cut off", "cut short"):
        if damage == "cut short":
            ranker.save(path)
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        monkeypatch.setattr(ranker_module, "_LOADED", {})
        fitted = load_ranker(kb, tmp_path, lambda: ranker, shipped=tmp_path / "none")
        assert fitted is ranker, damage
        assert Ranker.load(path).neighbours is not None  # the new model was written in its place


def test_a_signal_that_is_not_a_number_never_makes_the_bot_sure(matcher: Matcher):
    reading = matcher.read("what is a detainer")
    assert reading is not None and matcher.calibration is not None
    broken = dataclasses.replace(reading.signals, nearest_top=float("nan"))
    assert matcher.calibration.chance(reading.signals) > 0.5
    assert matcher.calibration.chance(broken) == 0.0


def test_the_matcher_weighs_the_top_entry_against_its_two_runners_up(matcher: Matcher, monkeypatch):
    """The signals come from the ranker's top entry and its second and third, in the ranker's order; the
    rival is the nearer of the two, and the top entry "agrees" only when strictly nearer."""
    assert matcher.ranker is not None
    asked: list[list[int]] = []
    answers = iter([[0.6, 0.2, 0.7], [0.7, 0.3, 0.7], [0.9, 0.8, 0.1]])

    def nearest(reading, classes):
        asked.append(list(classes))
        return next(answers)

    monkeypatch.setattr(matcher.ranker, "nearest", nearest)
    found = [matcher.read("my uncle has an ICE hold at the county jail") for _ in range(3)]
    order = [int(i) for i in np.argsort(-found[0].probs)[:3]]  # type: ignore[union-attr]
    assert asked == [order, order, order]
    signals = [f.signals for f in found if f is not None]
    assert [(s.nearest_top, s.nearest_rival, s.nearest_agrees) for s in signals] == [
        (0.6, 0.7, 0.0),
        (0.7, 0.7, 0.0),
        (0.9, 0.8, 1.0),
    ]


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
        if not whole(matcher.ranker, matcher.prepare(example.text)):
            continue
        seen += 1
        assert reading.signals.nearest_top == pytest.approx(1.0, abs=1e-5), example.text
        assert reading.signals.nearest_rival < 1.0 - 1e-5 or reading.signals.nearest_agrees == 0.0
    assert seen >= 20
