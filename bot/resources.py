"""Where the bundled knowledge base and translation catalogs are (no environment reading here)."""

from __future__ import annotations

from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def knowledge_dir() -> Path:
    """The knowledge base shipped with the bot: the checkout's ``knowledge/`` folder."""
    return _CHECKOUT / "knowledge"


def locales_dir() -> Path:
    """The translation catalogs shipped with the bot: the checkout's ``locales/`` folder."""
    return _CHECKOUT / "locales"
