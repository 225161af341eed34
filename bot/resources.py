"""Where the bot's bundled data lives: the checkout's top-level folders, or the copies inside the wheel.

Content editors work on ``knowledge/`` and ``locales/`` at the top of the repository. A wheel carries the
same folders inside the package, as ``bot/_data/knowledge`` and ``bot/_data/locales`` (see
``[tool.setuptools.package-dir]`` in pyproject.toml). Running from a checkout or an editable install, the
top-level folders win, so an edit shows at once; an installed wheel has no checkout around it and uses its
packaged copy. Environment overrides (``KYR_KNOWLEDGE_DIR``, ``KYR_LOCALES_DIR``) are read by the callers,
not here.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "_data"  # the packaged copies; also where package-only data such as model/ lives


def checkout_root() -> Path | None:
    """The repository this package runs from (a checkout or an editable install), else ``None``.

    A checkout is recognised by ``pyproject.toml`` beside the package, so an unrelated ``knowledge``
    folder next to an installed package in site-packages is never picked up.
    """
    root = PACKAGE_DIR.parent
    return root if (root / "pyproject.toml").is_file() else None


def _data_dir(name: str) -> Path:
    root = checkout_root()
    if root is not None and (root / name).is_dir():
        return root / name
    return DATA_DIR / name


def knowledge_dir() -> Path:
    """The knowledge base folder: the checkout's ``knowledge/``, else the wheel's ``bot/_data/knowledge``."""
    return _data_dir("knowledge")


def locales_dir() -> Path:
    """The translation catalogs folder: the checkout's ``locales/``, else the wheel's ``bot/_data/locales``."""
    return _data_dir("locales")
