"""kyr-bot: a bilingual know-your-rights bot (the core, the console and the Telegram front end)."""

from importlib import metadata


def version() -> str:
    """The version this code is: ``pyproject.toml``'s when running from a checkout (an editable install's
    recorded version can lag behind a pull), else the installed distribution's; ``unknown`` when neither
    says. The one place the version is read (``kyr-bot --version``, the start-up line, the chart)."""
    from bot import resources

    root = resources.checkout_root()
    if root is not None:
        import tomllib

        try:
            with (root / "pyproject.toml").open("rb") as fh:
                return str(tomllib.load(fh)["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            pass
    try:
        return metadata.version("kyr-bot")
    except metadata.PackageNotFoundError:
        return "unknown"
