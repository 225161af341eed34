"""The learned ranking signal: TF-IDF over character n-grams and words, and a linear model over entries.

It is trained only on the knowledge base: titles, question phrasings and the labelled examples of how
people really ask (``examples/*.yaml``), in both languages; 'unsupported' entries are classes too, so
questions like theirs fall back. Fitting needs scikit-learn (a dependency, :mod:`.fitting`,
imported only to fit); scoring needs only numpy: the fitted vocabulary, idf weights and linear weights are saved as an
``.npz`` plus JSON (no pickle) and :meth:`Ranker.vector` reproduces scikit-learn's features exactly. The
``.npz`` also holds the training texts' features for the nearest-text signal (:mod:`.neighbours`).

Where a fitted model comes from (:func:`load_ranker`): a model shipped in the package
(``bot/matching/model/<hash>.npz``, built by ``kyr-bot train``), else a cache directory the caller passes (written
atomically), else a fit in memory. ``<hash>`` covers everything the model depends on (entries, lexicon,
everyday words, :data:`MODEL_VERSION` and the matching code's source), so any content or code change
rebuilds it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import logging
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.knowledge import KnowledgeBase
from bot.matching.neighbours import Neighbours
from bot.textnorm import remember

MODEL_VERSION = "8"  # bump when features, hyper-parameters or the calibration change: old models are then ignored
CHAR_NGRAMS = (3, 4)  # letters; 2-5 scored the same on the tuning sets and cost 1.8x the fit (fit_model)
WORD_NGRAMS = (1, 1)
GRAM_CACHE_WORDS = 50_000  # words whose n-gram ids are remembered (a few MB at most)
PACKAGE_MODEL_DIR = Path(__file__).resolve().parent / "model"

TextPair = tuple[str, str]  # (words for character n-grams, terms for word features), both folded


@dataclass(frozen=True)
class RankerReading:
    """What :meth:`Ranker.read` makes of a message: ``probs``, one probability per class (float64, shape
    (classes,)); ``coverage``, the share (0-1) of its character n-grams seen in training; its features as
    :meth:`Ranker.vector` gives them: ``idx``, column indices (int64, shape (n,)), and ``values``, their
    TF-IDF weights (float64, shape (n,))."""

    probs: np.ndarray
    coverage: float
    idx: np.ndarray
    values: np.ndarray


log = logging.getLogger(__name__)


class RankerUnavailable(RuntimeError):
    """No fitted model for this knowledge base, and scikit-learn is not installed to fit one."""


MODEL_CODE = (Path(__file__).resolve().parent, Path(__file__).resolve().parent.parent / "textnorm.py")


@functools.lru_cache(maxsize=8)
def code_digest(places: tuple[Path, ...] = MODEL_CODE) -> str:
    """A hash (64 hex digits) of the source of the code that shapes a fitted model: every ``.py`` file in
    the folders of ``places`` (by default the matching package) and the files named there (the text
    normalisation it reads through). So a release whose matching code changed fits a new model even if
    :data:`MODEL_VERSION` was not bumped, and a developer never reads a model fitted by other code.
    Read once per process; a file that cannot be read counts by its name only."""
    digest = hashlib.sha256()
    files = sorted(f for place in places for f in (place.glob("*.py") if place.is_dir() else [place]))
    for path in files:
        digest.update(path.name.encode("utf-8") + b"\0")
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes().replace(b"\r\n", b"\n"))
    return digest.hexdigest()


def kb_hash(kb: KnowledgeBase) -> str:
    """A short hash (16 hex digits) of everything a fitted model depends on: entries, training examples,
    lexicon, everyday words, version, and the matching code (:func:`code_digest`)."""
    lex = kb.lexicon
    content = {
        "version": MODEL_VERSION,
        "code": code_digest(),
        "entries": [
            [e.id, e.kind, sorted([lang, t.title, list(t.questions), t.answer] for lang, t in e.texts.items())]
            for e in sorted(kb.entries.values(), key=lambda e: e.id)
        ],
        "examples": sorted([x.entry_id, x.lang, x.text] for x in kb.examples),
        "lexicon": [
            {k: sorted(v) for k, v in sorted(lex.stopwords.items())},
            sorted(lex.abbreviations.items()),
            sorted(lex.phrases.items()),
            [list(g) for g in lex.synonyms],
            {k: sorted(v) for k, v in sorted(lex.language_hints.items())},
            {k: sorted(v) for k, v in sorted(lex.everyday.items())},
        ],
    }
    blob = json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]


def char_wb_ngrams(text: str, low: int = CHAR_NGRAMS[0], high: int = CHAR_NGRAMS[1]) -> list[str]:
    """Character n-grams inside word boundaries, exactly as scikit-learn's ``analyzer='char_wb'``."""
    grams: list[str] = []
    for word in text.split():
        w = f" {word} "
        size = len(w)
        for n in range(low, high + 1):
            offset = 0
            grams.append(w[offset : offset + n])
            while offset + n < size:
                offset += 1
                grams.append(w[offset : offset + n])
            if offset == 0:  # a word shorter than n is counted once
                break
    return grams


def word_ngrams(text: str, low: int = WORD_NGRAMS[0], high: int = WORD_NGRAMS[1]) -> list[str]:
    """Word n-grams as scikit-learn's ``analyzer='word'`` makes them with the token pattern of
    :func:`vectorizers` (runs of two or more non-space characters), joined by a space."""
    tokens = [t for t in text.split() if len(t) >= 2]
    if high == 1:
        return tokens if low == 1 else []
    grams = list(tokens) if low == 1 else []
    for n in range(max(2, low), high + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


@dataclass
class Ranker:
    """A fitted ranker. ``classes`` are entry ids; :meth:`probabilities` gives one probability per class."""

    classes: list[str]
    char_vocab: dict[str, int]
    char_idf: np.ndarray
    word_vocab: dict[str, int]
    word_idf: np.ndarray
    coef: np.ndarray  # (classes, char features + word features), float32
    intercept: np.ndarray  # (classes,)
    digest: str = ""
    calibration: dict[str, Any] | None = None  # the matcher's confidence model (bot.matching.confidence), JSON
    neighbours: Neighbours | None = None  # the training texts' features, for the nearest-text signal
    # word -> (vocabulary ids of its character n-grams, how many n-grams it has): words repeat across messages
    _grams: dict[str, tuple[tuple[int, ...], int]] = field(default_factory=dict, repr=False, compare=False)
    # coef, feature by feature (features, classes): a message's few features are then a few rows next to each
    # other in memory, not a few scattered numbers in every class's row
    _by_feature: np.ndarray = field(init=False, repr=False, compare=False)

    _idf: np.ndarray = field(init=False, repr=False, compare=False)  # char_idf, then word_idf

    def __post_init__(self) -> None:
        self._by_feature = np.ascontiguousarray(self.coef.T)
        self._idf = np.concatenate([self.char_idf, self.word_idf])

    def _weights_of(self, idx: np.ndarray) -> np.ndarray:
        """``coef[:, idx]``, the same array (C order: the product with it adds up in the same order)."""
        return np.ascontiguousarray(self._by_feature[idx].T)

    def _char_counts(self, text: str) -> tuple[dict[int, int], int, int]:
        """Counts of the known character n-grams of ``text``'s words (by vocabulary id), how many n-grams
        were known and how many there were in all."""
        counts: dict[int, int] = {}
        found = total = 0
        vocab, cache = self.char_vocab, self._grams
        for word in text.split():
            hit = cache.get(word)
            if hit is None:
                grams = char_wb_ngrams(word)
                hit = (tuple(j for g in grams if (j := vocab.get(g)) is not None), len(grams))
                remember(cache, word, hit, GRAM_CACHE_WORDS)
            ids, n = hit
            total += n
            found += len(ids)
            for j in ids:
                counts[j] = counts.get(j, 0) + 1
        return counts, found, total

    def vector(self, pair: TextPair) -> tuple[np.ndarray, np.ndarray]:
        """Sparse TF-IDF features of ``pair`` as (column indices, values): sublinear tf, smooth idf, each
        block (characters, words) l2-normalised on its own, as the fitted scikit-learn vectorizers do."""
        return self._vector(pair)[:2]

    def coverage(self, pair: TextPair) -> float:
        """The share (0-1) of the text's character n-grams that the model has seen in training: how far a
        message is from everything the knowledge base says (1.0 for a text with no n-grams)."""
        _, _, coverage = self._vector(pair)
        return coverage

    def _vector(self, pair: TextPair) -> tuple[np.ndarray, np.ndarray, float]:
        char_counts, found, total = self._char_counts(pair[0])
        word_counts: dict[int, int] = {}
        offset = len(self.char_vocab)  # word features come after the character ones
        for g in word_ngrams(pair[1]):
            j = self.word_vocab.get(g)
            if j is not None:
                word_counts[j + offset] = word_counts.get(j + offset, 0) + 1
        coverage = found / total if total else 1.0
        n_chars, n = len(char_counts), len(char_counts) + len(word_counts)
        if not n:
            return np.zeros(0, dtype=np.int64), np.zeros(0), coverage
        # Both blocks in one array, each then l2-normalised on its own.
        idx = np.fromiter(itertools.chain(char_counts, word_counts), dtype=np.int64, count=n)
        tf = np.fromiter(itertools.chain(char_counts.values(), word_counts.values()), dtype=np.float64, count=n)
        v = (1.0 + np.log(tf)) * self._idf[idx]
        for block in (v[:n_chars], v[n_chars:]):
            if len(block):
                block /= np.sqrt(block @ block)
        return idx, v, coverage

    def decision(self, pair: TextPair) -> np.ndarray:
        """The linear model's raw scores, one per class."""
        idx, vals = self.vector(pair)
        return self._weights_of(idx) @ vals + self.intercept

    def read(self, pair: TextPair) -> RankerReading:
        """:meth:`probabilities`, :meth:`coverage` and :meth:`vector` of ``pair``, computed together."""
        idx, vals, coverage = self._vector(pair)
        z = self._weights_of(idx) @ vals + self.intercept
        z = np.exp(z - z.max())
        return RankerReading(z / z.sum(), coverage, idx, vals)

    def nearest(self, reading: RankerReading, classes: Sequence[int]) -> list[float]:
        """How near (0-1) the message read as ``reading`` comes to the nearest training text of each class
        in ``classes`` (indices into :attr:`classes`): :meth:`.Neighbours.nearest`; all 0.0 for a model
        without the index."""
        if self.neighbours is None:
            return [0.0] * len(classes)
        return self.neighbours.nearest(reading.idx, reading.values, classes)

    def probabilities(self, pair: TextPair) -> np.ndarray:
        """Softmax of :meth:`decision` (multinomial logistic regression): one probability per class."""
        z = self.decision(pair)
        z = np.exp(z - z.max())
        return z / z.sum()

    # ------------------------------------------------------------------ storage
    def save(self, path: Path) -> None:
        """Write ``path`` (``.npz``: idf and weights) and ``path.with_suffix('.json')`` (vocabularies),
        each atomically (a temporary file renamed into place)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "digest": self.digest,
            "classes": self.classes,
            "char_vocab": sorted(self.char_vocab, key=self.char_vocab.__getitem__),
            "word_vocab": sorted(self.word_vocab, key=self.word_vocab.__getitem__),
            "calibration": self.calibration,
        }
        _atomic(path.with_suffix(".json"), lambda f: f.write(json.dumps(meta, ensure_ascii=False).encode("utf-8")))
        arrays = {"char_idf": self.char_idf, "word_idf": self.word_idf, "coef": self.coef, "intercept": self.intercept}
        if self.neighbours is not None:
            arrays.update(self.neighbours.arrays())
        _atomic(path, lambda f: np.savez_compressed(f, **arrays))  # type: ignore[arg-type]  # numpy's stub

    @classmethod
    def load(cls, path: Path) -> Ranker:
        """Read a model written by :meth:`save`. Raises OSError or ValueError when it is missing or broken,
        KeyError when an array is missing (a model has the nearest-text index since version 8)."""
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in ("char_idf", "word_idf", "coef", "intercept")}
            width = len(meta["char_vocab"]) + len(meta["word_vocab"])
            neighbours = Neighbours.from_arrays(data, len(meta["classes"]), width)
        char_vocab = {g: i for i, g in enumerate(meta["char_vocab"])}
        word_vocab = {g: i for i, g in enumerate(meta["word_vocab"])}
        if arrays["coef"].shape != (len(meta["classes"]), len(char_vocab) + len(word_vocab)):
            raise ValueError(f"{path}: weights do not fit the vocabulary")
        return cls(meta["classes"], char_vocab, arrays["char_idf"], word_vocab, arrays["word_idf"],
                   arrays["coef"], arrays["intercept"], meta["digest"], meta.get("calibration"),
                   neighbours)  # fmt: skip


def _atomic(path: Path, write: Callable) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


CACHE_SPARE = 1  # models a cache directory keeps besides the one in use (the last one used before it)
_MODEL_NAME = re.compile(r"^[0-9a-f]{16}$")  # a model's file stem: a kb_hash


def drop_other_models(directory: Path, keep: Path, spare: int = 0) -> list[Path]:
    """Delete the models in ``directory`` other than ``keep``, except the ``spare`` most recently used
    ones (a cache hit touches its file); returns the ``.npz`` paths deleted. Only files named like a
    model (``<16 hex digits>.npz`` / ``.json``) are touched, so a shared folder keeps everything else;
    a ``.json`` whose ``.npz`` is gone (a fit killed half-way) goes too. Files that vanish or cannot be
    deleted are skipped."""

    def used(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    models = [p for p in directory.glob("*.npz") if _MODEL_NAME.match(p.stem) and p != keep]
    models.sort(key=used, reverse=True)
    dropped: list[Path] = []
    for old in models[spare:]:
        with contextlib.suppress(OSError):
            old.unlink()
            dropped.append(old)
        with contextlib.suppress(OSError):
            old.with_suffix(".json").unlink(missing_ok=True)
    for meta in directory.glob("*.json"):
        if _MODEL_NAME.match(meta.stem) and not meta.with_suffix(".npz").exists():
            with contextlib.suppress(OSError):
                meta.unlink()
    return dropped


_LOADED: dict[str, Ranker] = {}  # one ranker per knowledge-base hash per process (tests build many matchers)
LOADED_KEPT = 4  # rankers kept in _LOADED, the most recently used: a bot reloading edits must not keep them all
# (each holds its weights and nearest-text index: about 10 MB today, several times that for a big affiliate)


def _remember(digest: str, ranker: Ranker) -> Ranker:
    """Keep ``ranker`` in :data:`_LOADED` as the most recently used; drop the least recently used beyond
    :data:`LOADED_KEPT` (each holds several MB: a long-running bot reloads edited content many times)."""
    _LOADED.pop(digest, None)
    _LOADED[digest] = ranker
    while len(_LOADED) > LOADED_KEPT:
        del _LOADED[next(iter(_LOADED))]
    return ranker


def model_path(directory: Path, digest: str) -> Path:
    """Where the model for knowledge-base hash ``digest`` lives in ``directory``."""
    return directory / f"{digest}.npz"


def load_ranker(
    kb: KnowledgeBase,
    cache_dir: Path | None,
    fit: Callable[[], Ranker],
    shipped: Path = PACKAGE_MODEL_DIR,
) -> Ranker:
    """The ranker for ``kb``: shipped in the package, else cached in ``cache_dir`` (fitted by ``fit`` and
    written there when missing; the cache then keeps the new model and :data:`CACHE_SPARE` older ones),
    else fitted in memory by ``fit`` (the matcher's whole fit, calibration included: :mod:`.training`).
    A model whose hash does not match is never used."""
    digest = kb_hash(kb)
    if digest in _LOADED:
        return _remember(digest, _LOADED[digest])
    candidates: Iterable[Path] = [model_path(shipped, digest)]
    if cache_dir is not None:
        candidates = [*candidates, model_path(cache_dir, digest)]
    for path in candidates:
        if path.is_file():
            try:
                ranker = Ranker.load(path)
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error):  # damaged: fit again
                continue
            if ranker.digest == digest:
                if path.parent != shipped:
                    with contextlib.suppress(OSError):  # "used last" for drop_other_models
                        os.utime(path)
                return _remember(digest, ranker)
    log.warning(
        "Fitting the matcher's model for this content: a few seconds, once (it is then kept in %s).",
        cache_dir or "memory only",
    )
    ranker = fit()
    if cache_dir is not None:
        try:  # a read-only data dir only costs a fit at each start: say so, once
            ranker.save(model_path(cache_dir, digest))
            drop_other_models(cache_dir, model_path(cache_dir, digest), spare=CACHE_SPARE)
        except OSError as exc:
            log.warning(
                "The matcher's model could not be kept in %s (%s): it is fitted again at each start. "
                "Set KYR_MODEL_DIR to a folder the bot can write.",
                cache_dir,
                exc.strerror or type(exc).__name__,
            )
    return _remember(digest, ranker)
