"""``pip install .`` (not editable) gives a working bot: the wheel carries the knowledge base and catalogs.

The wheel is built from a copy of this working tree without build isolation (this environment's
setuptools, no network) and installed with ``--no-deps`` into a fresh venv made without pip; a ``.pth``
file in that venv lets it import the dependencies from the running interpreter's site-packages instead of
installing them again. The whole round trip takes a few seconds. Details in testkit/installed.py.
"""

from __future__ import annotations

import tomllib
import zipfile

import pytest

from testkit.installed import ROOT, InstalledBot, installed_bot


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> InstalledBot:
    return installed_bot(tmp_path_factory)


def test_wheel_carries_every_knowledge_and_catalog_file(installed: InstalledBot):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    expected = {
        f"bot/_data/{path.relative_to(ROOT).as_posix()}"
        for top in ("knowledge", "locales")
        for path in (ROOT / top).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert expected, "no knowledge files found in the checkout"
    assert expected <= names, sorted(expected - names)
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)


def test_installed_package_is_the_wheel_not_the_checkout(installed: InstalledBot):
    script = "import bot, bot.resources as r; print(bot.__file__); print(r.knowledge_dir()); print(r.locales_dir())"
    result = installed.run_python(script)
    assert result.returncode == 0, result.stderr
    module, knowledge, locales = result.stdout.splitlines()
    for path in (module, knowledge, locales):
        assert path.startswith(str(installed.venv)), result.stdout
    assert knowledge.endswith("_data/knowledge") and locales.endswith("_data/locales")


def test_check_passes_outside_the_repository(installed: InstalledBot):
    result = installed.run("check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("kyr-bot check: OK (")


def test_ask_answers_from_the_packaged_knowledge_base(installed: InstalledBot):
    result = installed.run("ask", "what is an ice detainer")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "What is an ICE detainer?"
    spanish = installed.run("ask", "¿qué es una orden de retención?", "--lang", "es")
    assert spanish.returncode == 0, spanish.stderr
    assert "¿Qué es una orden de retención migratoria (detainer)?" in spanish.stdout.splitlines()[0]


def test_version(installed: InstalledBot):
    with (ROOT / "pyproject.toml").open("rb") as fh:
        expected = tomllib.load(fh)["project"]["version"]
    result = installed.run("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"kyr-bot {expected}"
    assert installed.wheel.name == f"kyr_bot-{expected}-py3-none-any.whl"
