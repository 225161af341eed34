"""Fixtures of the Telegram channel's end-to-end tests."""

from __future__ import annotations

import logging
from io import StringIO

import pytest

from bot.runtime.logsafe import configure_logging


@pytest.fixture
def log_text(double, restore_logging):
    """Everything logged (at DEBUG, through the app's scrubbing handler) during the test."""
    stream = StringIO()
    configure_logging(level=logging.DEBUG, secrets=[double.token], stream=stream)
    return stream.getvalue
