"""Shared fixtures: the real knowledge base, its fitted ranker and the matcher, built once per test session;
the Bot API double and a bot polling it, per test."""

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeBase
from bot.matching.matcher import Matcher
from bot.matching.ranker import Ranker, model_path
from testkit.botapi_double import BotApiDouble
from testkit.harness import BotHarness, knowledge, shared_matcher


@pytest.fixture
def double() -> Iterator[BotApiDouble]:
    """A fresh Bot API double on 127.0.0.1 for one test."""
    with BotApiDouble() as d:
        yield d


@pytest.fixture
async def bot(double: BotApiDouble, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The real Application polling the test's double, started and stopped around the test."""
    async with BotHarness(double, tmp_path) as harness:
        yield harness


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return knowledge()


@pytest.fixture(scope="session")
def matcher(kb: KnowledgeBase) -> Matcher:
    return shared_matcher()


@pytest.fixture(scope="session")
def ranker(matcher: Matcher) -> Ranker:
    """The one fitted ranker every test shares (shipped, or fitted once in this process)."""
    assert matcher.ranker is not None
    return matcher.ranker


@pytest.fixture(scope="session", autouse=True)
def shared_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's ranker, saved where ``kyr-bot`` subprocesses look (KYR_MODEL_DIR): no test fits twice."""
    directory = tmp_path_factory.mktemp("model")
    model = shared_matcher().ranker
    assert model is not None
    model.save(model_path(directory, model.digest))
    before = os.environ.get("KYR_MODEL_DIR")
    os.environ["KYR_MODEL_DIR"] = str(directory)
    yield directory
    if before is None:
        os.environ.pop("KYR_MODEL_DIR", None)
    else:
        os.environ["KYR_MODEL_DIR"] = before


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """For a test that configures logging (the app's scrubbing handler): the root logger's handlers and
    level, and httpx's level, as they were before it."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger("httpx").level)
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])
    logging.getLogger("httpx").setLevel(saved[2])
