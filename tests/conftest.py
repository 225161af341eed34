"""Shared fixtures: the real knowledge base and matcher, built once per test session."""

import pytest

from bot.knowledge import KnowledgeBase
from bot.matcher import Matcher

from .harness import knowledge


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return knowledge()


@pytest.fixture(scope="session")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)
