"""Packaging that pyproject.toml cannot say on its own: the package's folders are discovered (a new room
under bot/ needs no change here), and the knowledge base and catalogs, which live at the top of the
repository for content editors, ship inside the wheel as ``bot/_data/knowledge`` and ``bot/_data/locales``
(found at run time by bot/resources.py). Everything else is in pyproject.toml."""

from setuptools import find_packages, setup

CONTENT = {"bot._data.knowledge": "knowledge", "bot._data.locales": "locales"}

setup(packages=[*find_packages(include=["bot", "bot.*"]), *CONTENT], package_dir=CONTENT)
