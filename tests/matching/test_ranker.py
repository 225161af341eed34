"""The learned ranker: numpy scoring reproduces scikit-learn exactly, models are cached by content hash
and stored without pickle, and typo repair does not trust the knowledge base's deliberate misspellings."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from bot.knowledge import KnowledgeBase
from bot.matching.analysis import Analyzer
from bot.matching.fitting import training_texts, vectorizers
from bot.matching.matcher import Matcher
from bot.matching.neighbours import ARRAYS as NEIGHBOUR_ARRAYS
from bot.matching.ranker import (
    Ranker,
    char_wb_ngrams,
    kb_hash,
    load_ranker,
    model_path,
    word_ngrams,
)
from bot.runtime.config import Config

SAMPLES = [
    "que hago si la migra toca mi puerta",
    "what is a detainer",
    "my tio is in the jail con un hold de ICE",
    "a",
    "",
    "287g 287g 287g detainer detainer",
    "zzzz qqq xylophone",
    "imigration lawer",
]


def test_char_ngrams_match_scikit_learn():
    chars, _ = vectorizers()
    analyzer = chars.build_analyzer()
    for text in [*SAMPLES, "ab", "abcdefghij klm", "  spaced   out  "]:
        assert char_wb_ngrams(text) == analyzer(text)


@pytest.mark.parametrize("ngrams", [(1, 1), (1, 2), (2, 3)])
def test_word_ngrams_match_scikit_learn(ngrams):
    from sklearn.feature_extraction.text import TfidfVectorizer

    analyzer = TfidfVectorizer(analyzer="word", ngram_range=ngrams, lowercase=False, token_pattern=r"\S\S+")
    for text in [*SAMPLES, "a b c", "la migra a mi casa", "one two three four"]:
        assert word_ngrams(text, *ngrams) == analyzer.build_analyzer()(text)


def test_features_and_probabilities_match_scikit_learn(kb: KnowledgeBase, matcher: Matcher):
    """Refit the vectorizers on the same texts: our sparse vector equals scikit-learn's transform."""
    from scipy.sparse import hstack

    texts, _ = training_texts(kb, matcher.prepare)
    chars, words = vectorizers()
    chars.fit([t[0] for t in texts])
    words.fit([t[1] for t in texts])
    ours = Ranker(
        classes=["x"],
        char_vocab={str(k): int(v) for k, v in chars.vocabulary_.items()},
        char_idf=chars.idf_,
        word_vocab={str(k): int(v) for k, v in words.vocabulary_.items()},
        word_idf=words.idf_,
        coef=np.zeros((1, len(chars.vocabulary_) + len(words.vocabulary_)), dtype=np.float32),
        intercept=np.zeros(1),
    )
    pairs = [matcher.prepare(s) for s in SAMPLES] + texts[:200]
    expected = hstack([chars.transform([p[0] for p in pairs]), words.transform([p[1] for p in pairs])]).toarray()
    for row, pair in zip(expected, pairs, strict=True):
        idx, vals = ours.vector(pair)
        dense = np.zeros(len(row))
        dense[idx] = vals
        np.testing.assert_allclose(dense, row, rtol=1e-12, atol=1e-12)


def test_probabilities_are_a_distribution(ranker: Ranker, matcher: Matcher):
    for text in SAMPLES:
        p = ranker.probabilities(matcher.prepare(text))
        assert p.shape == (len(ranker.classes),) and abs(p.sum() - 1) < 1e-9 and (p >= 0).all()


def test_scores_are_exactly_the_linear_model_over_the_features(kb: KnowledgeBase, ranker: Ranker, matcher: Matcher):
    """The weights kept feature by feature give the very numbers of ``coef[:, features] @ values``."""
    texts = [q for e in kb.entries.values() for t in e.texts.values() for q in t.questions][:300] + SAMPLES
    for text in texts:
        pair = matcher.prepare(text)
        idx, vals = ranker.vector(pair)
        assert np.array_equal(ranker.decision(pair), ranker.coef[:, idx] @ vals + ranker.intercept)


def test_saved_model_is_pickle_free_and_round_trips(ranker: Ranker, matcher: Matcher, tmp_path):
    path = model_path(tmp_path, ranker.digest)
    ranker.save(path)
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["digest"] == ranker.digest
    with np.load(path, allow_pickle=False) as data:  # raises if anything needs pickle
        assert set(data.files) == {"char_idf", "word_idf", "coef", "intercept", *NEIGHBOUR_ARRAYS}
    loaded = Ranker.load(path)
    everyone = list(range(len(ranker.classes)))
    for text in SAMPLES:
        pair = matcher.prepare(text)
        np.testing.assert_allclose(loaded.probabilities(pair), ranker.probabilities(pair))
        assert loaded.nearest(loaded.read(pair), everyone) == ranker.nearest(ranker.read(pair), everyone)
    assert not list(tmp_path.glob("*.tmp"))


def test_the_model_is_keyed_by_the_matching_code_too(tmp_path, kb: KnowledgeBase, monkeypatch):
    """A release (or a developer's edit) that changes how messages are read fits a new model instead of
    reading one fitted by other code, even when MODEL_VERSION was not bumped."""
    from bot.matching import ranker as ranker_module

    package = tmp_path / "matching"
    package.mkdir()
    (package / "ranker.py").write_text("CHAR_NGRAMS = (3, 4)\n", encoding="utf-8")
    (package / "notes.txt").write_text("not code", encoding="utf-8")
    helper = tmp_path / "textnorm.py"
    helper.write_text("def fold(text): return text\n", encoding="utf-8")
    digest = ranker_module.code_digest.__wrapped__  # not the per-process cache
    before = digest((package, helper))
    (package / "notes.txt").write_text("still not code", encoding="utf-8")
    assert digest((package, helper)) == before  # only Python source counts
    (package / "ranker.py").write_text("CHAR_NGRAMS = (2, 5)\n", encoding="utf-8")
    changed = digest((package, helper))
    assert changed != before
    helper.write_text("def fold(text): return text.lower()\n", encoding="utf-8")
    assert digest((package, helper)) != changed
    # The same source with Windows line ends is the same code.
    (package / "ranker.py").write_bytes(b"CHAR_NGRAMS = (2, 5)\r\n")
    helper.write_text("def fold(text): return text\n", encoding="utf-8")
    assert digest((package, helper)) == changed
    # And the knowledge base's hash follows the code's.
    monkeypatch.setattr(ranker_module, "code_digest", lambda: "another")
    edited_code = kb_hash(kb)
    monkeypatch.undo()
    assert edited_code != kb_hash(kb)


def test_cache_is_used_and_keyed_by_content(kb: KnowledgeBase, ranker: Ranker, matcher: Matcher, tmp_path, monkeypatch):
    from bot.matching import ranker as ranker_module

    monkeypatch.setattr(ranker_module, "_LOADED", {})
    ranker.save(model_path(tmp_path, kb_hash(kb)))
    loaded = load_ranker(kb, tmp_path, lambda: pytest.fail("fitted despite a cached model"), shipped=tmp_path / "none")
    assert loaded.digest == kb_hash(kb)
    # Edited content has another hash: the cached model no longer applies.
    entry = next(iter(kb.entries.values()))
    lang, text = next(iter(entry.texts.items()))
    edited_text = dataclasses.replace(text, questions=(*text.questions, "a brand new phrasing"))
    edited_entry = dataclasses.replace(entry, texts={**entry.texts, lang: edited_text})
    edited = dataclasses.replace(kb, entries={**kb.entries, entry.id: edited_entry})
    assert kb_hash(edited) != kb_hash(kb)


def test_the_cache_keeps_the_model_in_use_and_the_last_one_used_before(
    kb: KnowledgeBase, ranker: Ranker, matcher: Matcher, tmp_path, monkeypatch
):
    """Each content edit writes a model of about 3 MB: a long-running bot's cache must not grow forever,
    a revert to the content used just before must not refit, and nothing else in the folder is touched."""
    import os

    from bot.matching import ranker as ranker_module

    old = ["000000000000000a", "000000000000000b", "000000000000000c"]
    for age, digest in enumerate(old):  # written in this order, "c" last
        dataclasses.replace(ranker, digest=digest).save(model_path(tmp_path, digest))
        os.utime(model_path(tmp_path, digest), (1_000_000 + age, 1_000_000 + age))
    (tmp_path / "00000000000000ff.json").write_text("{}", encoding="utf-8")  # a fit killed half-way
    (tmp_path / "notes.npz").write_bytes(b"an operator's own file")
    monkeypatch.setattr(ranker_module, "_LOADED", {})
    # The bot ran on "a" again (a revert): using a cached model marks it as used.
    reverted = dataclasses.replace(ranker, digest=old[0])
    monkeypatch.setattr(ranker_module, "kb_hash", lambda kb: old[0])
    refit = lambda: pytest.fail("fitted despite a cached model")  # noqa: E731
    assert load_ranker(kb, tmp_path, refit, shipped=tmp_path / "none").digest == reverted.digest
    # Then the content is edited: a new model is fitted and cached.
    monkeypatch.setattr(ranker_module, "_LOADED", {})
    monkeypatch.setattr(ranker_module, "kb_hash", lambda kb: "00000000000000dd")
    load_ranker(kb, tmp_path, lambda: dataclasses.replace(ranker, digest="00000000000000dd"), shipped=tmp_path / "none")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(["00000000000000dd.npz", "00000000000000dd.json", "000000000000000a.npz",
                           "000000000000000a.json", "notes.npz"])  # fmt: skip


def test_typo_repair_does_not_trust_misspelled_phrasings(kb: KnowledgeBase):
    analyzer = Analyzer(kb)
    # "imigration", "lawer", "polisia" appear (on purpose) in question phrasings: still repaired.
    for typo, word in [("imigration", "immigration"), ("lawer", "lawyer"), ("polisia", "policia")]:
        assert typo not in analyzer.known
        assert analyzer.repair(typo) == word
        assert analyzer.misspellings.get(typo) == word
    # Real words that only phrasings use stay as they are ("bail" is not a typo of "jail").
    for word in ["bail", "chalecos", "detention", "fianza"]:
        assert analyzer.repair(word) == word
    # A phrasing's misspelling is indexed as the word it stands for, like a query's typo.
    assert analyzer.index_terms("necesito un lawer") == analyzer.index_terms("necesito un lawyer")


def test_unsupported_entry_is_named_in_json(matcher: Matcher):
    data = matcher.match("how do i do my taxes with an itin").as_json()
    assert data["id"] is None
    assert data["unsupported"] is not None
    assert matcher.match("what is a detainer").as_json()["unsupported"] is None


def test_train_command_writes_the_model_and_drops_stale_ones(ranker: Ranker, tmp_path, monkeypatch, capsys):
    from bot import cli

    monkeypatch.setattr(Matcher, "fit", lambda self: ranker)  # the plumbing, not the fit
    (tmp_path / "00000000000000aa.npz").write_bytes(b"stale")
    (tmp_path / "00000000000000aa.json").write_text("{}")
    args = cli.build_parser().parse_args(["train", "--out", str(tmp_path)])
    args.config = Config.from_env({}, need_token=False)
    assert args.func(args) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{ranker.digest}.json", f"{ranker.digest}.npz"]
    assert "wrote" in capsys.readouterr().out


def test_a_model_folder_the_bot_cannot_write_is_said_once_and_the_bot_still_answers(
    kb: KnowledgeBase, ranker: Ranker, matcher: Matcher, tmp_path, monkeypatch, caplog
):
    from bot.matching import ranker as ranker_module

    monkeypatch.setattr(ranker_module, "_LOADED", {})
    (tmp_path / "taken").write_text("a file, not a folder", encoding="utf-8")
    unwritable = tmp_path / "taken" / "model"  # cannot be created (root may write anywhere else)
    with caplog.at_level("WARNING", logger=ranker_module.__name__):
        assert load_ranker(kb, unwritable, lambda: ranker, shipped=tmp_path / "none") is ranker
    said = [r.getMessage() for r in caplog.records if "could not be kept" in r.getMessage()]
    assert len(said) == 1 and str(unwritable) in said[0] and "KYR_MODEL_DIR" in said[0]


def test_naive_bayes_folds_into_linear_weights_exactly():
    """The naive Bayes part of the ranker is read through the same linear weights: a softmax over
    ``x @ weights.T`` gives scikit-learn's own naive Bayes probabilities, so folding it in loses nothing."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.naive_bayes import MultinomialNB

    from bot.matching import fitting

    rng = np.random.default_rng(7)
    x = csr_matrix(rng.random((40, 12)) * (rng.random((40, 12)) < 0.3))
    labels = [("a", "b", "c")[i % 3] for i in range(40)]
    x1 = hstack([x, csr_matrix(np.ones((40, 1)))]).tocsr()
    weights = fitting.naive_bayes_log_odds(x1, labels, ["a", "b", "c"])
    z = x1 @ weights.T
    z = np.exp(z - z.max(axis=1, keepdims=True))
    ours = z / z.sum(axis=1, keepdims=True)
    theirs = MultinomialNB(alpha=fitting.NB_ALPHA).fit(x, labels).predict_proba(x)
    assert weights.shape == (3, 13)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_bigger_content_gets_fewer_passes_so_the_fit_grows_linearly():
    """SAGA's work is a fixed number of row updates: today's content keeps its ten passes, four times the
    content about a quarter of them (never fewer than two), so the fit's cost grows with the number of
    entries, not with its square (issue "A $5 server": 4x the content within 4.5x the CPU)."""
    from bot.matching.fitting import EPOCHS, MIN_PASSES, saga_passes

    today = 4_953  # training texts in knowledge/ in December 2026
    assert saga_passes(today) == EPOCHS
    for times in (2, 4, 5):
        rows = times * today
        assert saga_passes(rows) * rows <= 1.3 * EPOCHS * today  # about the same row updates
    assert saga_passes(1_000_000) == MIN_PASSES
    assert saga_passes(100) > EPOCHS  # a tiny knowledge base gets more passes, not fewer


def test_a_bot_that_reloads_edited_content_many_times_keeps_only_a_few_models(
    kb: KnowledgeBase, ranker: Ranker, tmp_path, monkeypatch
):
    """Every content edit and reload fits a new model of several MB; a bot running for months must not
    keep every one it ever used (its unit caps memory): the most recently used few stay."""
    from bot.matching import ranker as ranker_module

    monkeypatch.setattr(ranker_module, "_LOADED", {})
    digests = [f"{i:016x}" for i in range(1, 11)]
    for digest in digests:  # ten edits, each reloaded
        monkeypatch.setattr(ranker_module, "kb_hash", lambda kb, d=digest: d)
        load_ranker(kb, None, lambda d=digest: dataclasses.replace(ranker, digest=d), shipped=tmp_path / "none")
    assert list(ranker_module._LOADED) == digests[-ranker_module.LOADED_KEPT :]
    # The model in use is never the one dropped: using it again makes it the most recent.
    monkeypatch.setattr(ranker_module, "kb_hash", lambda kb: digests[-4])
    load_ranker(kb, None, lambda: pytest.fail("fitted again while in memory"), shipped=tmp_path / "none")
    assert list(ranker_module._LOADED)[-1] == digests[-4]
