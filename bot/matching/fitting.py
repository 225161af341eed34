"""Fitting the learned ranker (:mod:`.ranker`) with scikit-learn: the training texts, the two TF-IDF
vectorizers, a logistic regression by SAGA, and a naive Bayes folded into its weights. Imported only to
fit (``kyr-bot train``, a start or reload after a content edit); reading a fitted model needs only numpy.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bot.knowledge import KnowledgeBase
from bot.matching.neighbours import Neighbours
from bot.matching.ranker import CHAR_NGRAMS, WORD_NGRAMS, Ranker, RankerUnavailable, TextPair

REGULARISATION = 10.0  # logistic regression's C
EPOCHS = 10  # SAGA's passes over REFERENCE_ROWS training texts: the fit stops there, on purpose (fit_model)
REFERENCE_ROWS = 5_000  # about today's training texts (4,953): bigger content gets fewer passes (saga_passes)
MIN_PASSES = 2
NB_WEIGHT = 0.1  # naive Bayes' share of the ranker's log-odds (fit_model; chosen on the tuning sets, 4 seeds)
NB_ALPHA = 0.1  # naive Bayes' additive smoothing
SEED = 0  # SAGA visits the texts in a random order: a fixed seed gives the same model for the same content


def training_texts(kb: KnowledgeBase, prepare: Callable[[str], TextPair]) -> tuple[list[TextPair], list[str]]:
    """Every title and question phrasing of every entry (both languages) and every training example
    (``examples/*.yaml``), prepared, with its entry id."""
    texts: list[TextPair] = []
    labels: list[str] = []
    for entry in kb.entries.values():
        for text in entry.texts.values():
            for chunk in (text.title, *text.questions):
                texts.append(prepare(chunk))
                labels.append(entry.id)
    for example in kb.examples:
        texts.append(prepare(example.text))
        labels.append(example.entry_id)
    return texts, labels


def vectorizers() -> tuple:
    """The two scikit-learn vectorizers the ranker reproduces (imports scikit-learn)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, lowercase=False, sublinear_tf=True,
                            dtype=np.float64)  # fmt: skip
    words = TfidfVectorizer(analyzer="word", ngram_range=WORD_NGRAMS, lowercase=False, sublinear_tf=True,
                            token_pattern=r"\S\S+", dtype=np.float64)  # fmt: skip
    return chars, words


def saga_passes(rows: int) -> int:
    """SAGA's passes over ``rows`` training texts: as many row updates as :data:`EPOCHS` passes over
    :data:`REFERENCE_ROWS` (10 passes for today's content), and never fewer than :data:`MIN_PASSES`.

    A pass costs (rows) x (non-zero features a row) x (entries): both the rows and the entries grow with
    the content, so a fixed number of passes grows with its square (measured: four times the content took
    6.8x the CPU of today's fit, calibration included). A fixed number of row updates grows with the
    number of entries only; four copies of every row make each pass worth four, so the scaled copy in
    ``benchmarks/fit.py`` gets the same model-building work per entry as today's content."""
    return max(MIN_PASSES, round(EPOCHS * REFERENCE_ROWS / max(1, rows)))


def fit_model(texts: Sequence[TextPair], labels: Sequence[str], digest: str = "", passes: int | None = None) -> Ranker:
    """Fit a ranker on prepared ``texts`` (see :func:`training_texts`) labelled with entry ids (at least
    two different ones): the two vectorizers, then a multinomial logistic regression (``C`` =
    :data:`REGULARISATION`) by SAGA on float32 features, stopped after ``passes`` passes (default:
    :func:`saga_passes` of the texts given), in the order :data:`SEED` draws, and a naive Bayes folded
    into its weights (:func:`naive_bayes_log_odds`). It reads nothing but its arguments and keeps no
    state, so a caller may fit on part of the texts (folds, for calibration) as often as it likes: on
    today's content a call costs about 0.8 s of CPU and 25 MiB on top of scikit-learn's own 85 MiB.
    ``digest`` is stamped on the result. Raises RankerUnavailable without scikit-learn.

    Why SAGA, stopped early (figures: README, "Performance"; ``python -m benchmarks.fit``): lbfgs,
    scikit-learn's default, keeps ten pairs of vectors the size of the weights (entries x features:
    about 200 MiB today, 800 MiB for four times the entries) and took 15-20 s of CPU. A SAGA pass costs
    (non-zero features) x (entries), so the fit makes few passes (:func:`saga_passes`) over few
    non-zeros: 3-4 letter n-grams have 56% of the 2-5 ones' non-zeros. Ten passes are close to, not at,
    the optimum; what that costs in errors, set by set and across seeds, is in the README
    ("Performance")."""
    try:
        from scipy.sparse import csr_matrix, hstack
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RankerUnavailable(
            "fitting the matcher's ranker needs scikit-learn (pip install scikit-learn), "
            "or ship a pre-built model with `kyr-bot train`"
        ) from exc
    chars, words = vectorizers()
    x_chars = chars.fit_transform([t[0] for t in texts])
    x_words = words.fit_transform([t[1] for t in texts])
    # The intercept as a last column of ones: SAGA then learns it at the weights' pace (scikit-learn's own
    # intercept moves 100 times slower on sparse data and was still far off after 100 passes).
    ones = csr_matrix(np.ones((len(texts), 1)))
    x = hstack([x_chars, x_words, ones]).tocsr().astype(np.float32)  # float32: the passes read half the bytes
    model = LogisticRegression(
        C=REGULARISATION,
        solver="saga",
        max_iter=passes or saga_passes(len(texts)),
        tol=0.0,
        random_state=SEED,
        fit_intercept=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # stopping after a few passes is the point
        model.fit(x, list(labels))
    classes = [str(c) for c in model.classes_]
    weights = naive_bayes_log_odds(x, labels, classes)
    weights *= NB_WEIGHT
    weights += model.coef_
    index = {c: i for i, c in enumerate(classes)}
    neighbours = Neighbours.build(x, [index[label] for label in labels], len(classes), width=x.shape[1] - 1)
    return Ranker(
        classes=classes,
        char_vocab={str(k): int(v) for k, v in chars.vocabulary_.items()},
        char_idf=chars.idf_.astype(np.float64),
        word_vocab={str(k): int(v) for k, v in words.vocabulary_.items()},
        word_idf=words.idf_.astype(np.float64),
        coef=np.ascontiguousarray(weights[:, :-1], dtype=np.float32),
        intercept=weights[:, -1].copy(),
        digest=digest,
        neighbours=neighbours,
    )


def naive_bayes_log_odds(x: Any, labels: Sequence[str], classes: Sequence[str]) -> np.ndarray:
    """A multinomial naive Bayes (smoothing :data:`NB_ALPHA`) fitted on ``x`` (sparse, one row per text,
    the last column the intercept's ones), as weights of the same shape as the logistic regression's
    (classes x columns, in ``classes``' order): each feature's log-probability per class, centred over
    the classes, and in the last column the class's centred log prior. Its joint log-likelihood is linear
    in the features, so :func:`fit_model` adds it, times :data:`NB_WEIGHT`, to the regression's weights:
    the ranker's log-odds become a weighted product of the two models, read exactly as before.

    It is scikit-learn's ``MultinomialNB`` (a test checks the probabilities are the same), computed here
    in place: scikit-learn's copies of the features and its label matrix took 27 MiB at peak on today's
    content, more than the rest of the fit adds. Measured (``python -m benchmarks.matcher``, 4 SAGA seeds):
    top-1 up 0.4-0.8 points on the tuning sets and 0.8-1.8 on the unseen ones, wrong answers the same or
    fewer."""
    from scipy.sparse import csr_matrix

    index = {c: i for i, c in enumerate(classes)}
    rows = np.fromiter((index[label] for label in labels), dtype=np.int64, count=len(labels))
    member = csr_matrix((np.ones(len(rows)), (rows, np.arange(len(rows)))), shape=(len(classes), len(rows)))
    odds = np.asarray((member @ x).todense(), dtype=np.float64)  # per class: each feature's total weight
    features = odds[:, :-1]  # a view: the last column becomes the prior
    features += NB_ALPHA
    totals = np.log(features.sum(axis=1, keepdims=True))
    np.log(features, out=features)
    features -= totals
    features -= features.mean(axis=0, keepdims=True)
    prior = np.log(np.bincount(rows, minlength=len(classes)) / len(rows))
    odds[:, -1] = prior - prior.mean()
    return odds
