"""Releases that upgrade: one version (pyproject.toml) everywhere an operator reads one — the changelog's
newest release, the Docker tag in the README and compose.yaml, the image's label, the wheel names in the
recipes — and a systemd recipe that ships the fitted model, which a wheel built that way really carries.

Checked statically where there is no Docker engine or systemd here; and ``kyr-bot review`` on an installed
package, whose knowledge folder it must not write."""

from __future__ import annotations

import re
import subprocess
import tomllib
import zipfile
from pathlib import Path

import pytest

from bot.core.consent import QueuedQuestion
from bot.matching.ranker import model_path
from bot.runtime import exitcodes
from bot.runtime.records import Records, ReviewQueue
from testkit.harness import shared_matcher
from testkit.installed import ROOT, InstalledBot, build_wheel, install_wheel, installed_bot, make_venv

README = (ROOT / "README.md").read_text(encoding="utf-8")
CHANGELOG = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
with (ROOT / "pyproject.toml").open("rb") as _fh:
    VERSION = tomllib.load(_fh)["project"]["version"]


def as_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def test_the_version_is_a_release_newer_than_the_first():
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION)
    assert as_tuple(VERSION) > (0, 1, 0)


def test_changelog_has_a_dated_section_per_release_newest_first_and_this_version_on_top():
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d\d-\d\d)$", CHANGELOG, re.M)
    versions = [v for v, _ in released]
    assert versions[0] == VERSION, versions
    assert versions == sorted(versions, key=as_tuple, reverse=True) and len(set(versions)) == len(versions)
    assert "0.1.0" in versions
    dates = [d for _, d in released]
    assert dates == sorted(dates, reverse=True)
    for version in versions:  # every section says what changed
        body = CHANGELOG.split(f"## [{version}]", 1)[1].split("\n## ", 1)[0]
        assert re.search(r"^### (Added|Changed|Fixed|Removed|Security)$", body, re.M), version


def test_the_docker_tag_is_the_version_everywhere():
    tags = re.findall(r"kyr-bot:(\d[\w.]*)", README)
    assert tags and set(tags) == {VERSION}, tags
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert re.findall(r"^\s+image: kyr-bot:(\S+)", compose, re.M) == [VERSION]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.findall(r'org\.opencontainers\.image\.version="([^"]+)"', dockerfile) == [VERSION]
    assert set(re.findall(r"docker build -t kyr-bot:(\S+)", dockerfile)) == {VERSION}


def test_the_recipes_name_this_versions_wheel():
    wheels = re.findall(r"kyr_bot-([\d.]+)-py3-none-any\.whl", README)
    assert wheels and set(wheels) == {VERSION}, wheels


def _systemd_recipe() -> str:
    section = README.split("### systemd", 1)[1].split("\n### ", 1)[0]
    (block,) = re.findall(r"```sh\n(.*?)```", section, re.S)
    return block


@pytest.mark.parametrize("where", ["README", "unit"])
def test_the_systemd_recipe_fits_the_model_before_building_the_wheel(where):
    text = _systemd_recipe() if where == "README" else (ROOT / "deploy" / "kyr-bot.service").read_text()
    assert "kyr-bot train" in text and "pip wheel" in text
    assert text.index("kyr-bot train") < text.index("pip wheel") < text.index("/opt/kyr-bot/bin/pip install")
    # setuptools copies into build/ and never removes from it: a stale build/ ships files deleted since
    assert "rm -rf build" in text and text.index("rm -rf build") < text.index("pip wheel")


def test_the_upgrade_section_says_how_content_reaches_a_deployed_bot():
    section = README.split("### Upgrade", 1)[1].split("\n### ", 1)[0]
    for needed in ("--upgrade", "kyr-bot train", "KYR_KNOWLEDGE_DIR", "kyr-bot reload", "CHANGELOG.md", "tag"):
        assert needed in section, needed


def test_a_wheel_built_after_training_ships_the_model(tmp_path):
    """What the systemd recipe builds: the installed bot answers with the packaged model and fits none."""
    ranker = shared_matcher().ranker
    assert ranker is not None

    def trained(src: Path) -> None:  # what `kyr-bot train` leaves in the checkout: the session's fitted model
        ranker.save(model_path(src / "bot" / "matching" / "model", ranker.digest))

    wheel = build_wheel(tmp_path, before_build=trained)
    assert wheel.name == f"kyr_bot-{VERSION}-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    assert f"bot/matching/model/{ranker.digest}.npz" in names and f"bot/matching/model/{ranker.digest}.json" in names
    python = make_venv(tmp_path / "venv")
    install_wheel(python, wheel)
    installed = InstalledBot(wheel, tmp_path / "venv", tmp_path)
    cache = tmp_path / "cache"
    cache.mkdir()
    env = installed.env(KYR_MODEL_DIR=str(cache), KYR_DATA_DIR=str(tmp_path / "data"))
    result = installed.run("ask", "what is an ice detainer", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "What is an ICE detainer?"
    assert "Fitting" not in result.stderr and list(cache.iterdir()) == []  # nothing fitted: the wheel's model


def test_review_on_an_installed_package_writes_only_where_told(tmp_path_factory, tmp_path):
    """The knowledge folder inside an installed wheel is read-only (an upgrade replaces it): kyr-bot review
    says so and exits non-zero before touching the queue; with --out it labels into that folder."""
    installed = installed_bot(tmp_path_factory)
    data = tmp_path / "data"
    records = Records.open(data)
    assert records.queue is not None
    records.queue.keep(QueuedQuestion("can my landlord call ice on me [phone]", "en", "fallback", "2026-12-07"))
    records.close()
    env = installed.env(KYR_DATA_DIR=str(data))
    refused = installed.run_program([str(installed.kyr_bot), "review"], env=env)
    assert refused.returncode == exitcodes.BAD_CONFIG, refused.stdout + refused.stderr
    assert "is the copy inside the installed package: read-only" in refused.stderr and "--out DIR" in refused.stderr
    assert len(ReviewQueue(data).questions()) == 1  # nothing was taken out of the queue

    out = tmp_path / "labelled"
    walked = subprocess.run(
        [str(installed.kyr_bot), "review", "--out", str(out)],
        env=env,
        input="other-topics\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert walked.returncode == 0, walked.stdout + walked.stderr
    assert walked.stdout.strip().endswith(f"kyr-bot check: OK ({out / 'review.yaml'})")
    assert '- "can my landlord call ice on me [phone]"' in (out / "review.yaml").read_text()
    assert ReviewQueue(data).questions() == []
