"""kyr-bot: a bilingual know-your-rights bot (the core, the console and the Telegram front end)."""

from importlib import metadata


def version() -> str:
    """The installed distribution's version, or ``unknown`` when the package runs without being installed."""
    try:
        return metadata.version("kyr-bot")
    except metadata.PackageNotFoundError:
        return "unknown"
