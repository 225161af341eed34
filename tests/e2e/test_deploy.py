"""The deployment files hold together, as far as can be checked without a Docker engine or systemd.

- Dockerfile: the wheel is built from exactly what the builder stage copies, installed the way the final
  stage installs it (testkit/installed.py), and ``kyr-bot check`` / ``ask`` run with the image's read-only
  root: nothing is written outside the data folder, HOME does not exist.
- deploy/kyr-bot.service: restarts stop on the bot's "needs a person" exit statuses; ``systemd-analyze
  verify`` accepts it when systemd-analyze is installed.
- compose.yaml: valid YAML, read-only, the token as a secret file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from testkit.installed import ROOT, InstalledBot, installed_bot

DOCKERFILE = ROOT / "Dockerfile"
UNIT = ROOT / "deploy" / "kyr-bot.service"
COMPOSE = ROOT / "compose.yaml"
SECRET = "telegram_bot_token"


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's instructions as ``(INSTRUCTION, arguments)``, one list per ``FROM`` stage."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, args = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((instruction.upper(), " ".join(args.split())))
    return stages


def builder_sources() -> list[str]:
    """The paths the builder stage copies from the build context."""
    sources = []
    for instruction, args in dockerfile_stages()[0]:
        if instruction == "COPY":
            words = [w for w in args.split() if not w.startswith("--")]
            sources += [w.rstrip("/") for w in words[:-1]]
    return sources


def unit_settings() -> dict[str, list[str]]:
    """Every ``Key=value`` of the unit file (keys may repeat, so each maps to a list of values)."""
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


@pytest.fixture(scope="module")
def image_like(tmp_path_factory: pytest.TempPathFactory) -> InstalledBot:
    return installed_bot(tmp_path_factory, builder_sources())


def test_builder_copies_only_what_exists():
    sources = builder_sources()
    assert {"pyproject.toml", "setup.py", "bot", "knowledge", "locales"} <= set(sources)
    for name in sources:
        assert (ROOT / name).exists(), f"the Dockerfile copies {name}, which is missing"


def test_final_stage_runs_unprivileged_with_state_in_data():
    final = dockerfile_stages()[-1]
    args = {instruction: value for instruction, value in final}  # the last of each instruction wins
    assert args["FROM"] == "python:3.12-slim-bookworm"
    assert args["USER"].split(":")[0] not in ("root", "0")
    installs = [value for instruction, value in final if instruction == "RUN" and "pip install" in value]
    assert installs and all("--no-cache-dir" in value for value in installs)
    env = " ".join(value for instruction, value in final if instruction == "ENV")
    assert "KYR_DATA_DIR=/data" in env and "PYTHONDONTWRITEBYTECODE=1" in env
    assert json.loads(args["VOLUME"]) == ["/data"]
    assert args["HEALTHCHECK"].endswith('CMD ["kyr-bot", "health"]')
    assert (json.loads(args["ENTRYPOINT"]), json.loads(args["CMD"])) == (["kyr-bot"], ["run"])
    assert args["STOPSIGNAL"] == "SIGTERM"


def _tree(path: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in path.rglob("*") if not p.is_symlink()}


def test_image_install_works_on_a_read_only_root(image_like: InstalledBot, tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    env = image_like.env(
        HOME=str(tmp_path / "nonexistent"),
        KYR_DATA_DIR=str(data),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
    )
    before = _tree(image_like.venv)
    check = image_like.run("check", env=env, cwd=data)
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("kyr-bot check: OK (")
    ask = image_like.run("ask", "what is an ice detainer", env=env, cwd=data)
    assert ask.returncode == 0, ask.stderr
    assert ask.stdout.splitlines()[0] == "What is an ICE detainer?"
    assert _tree(image_like.venv) == before, "the bot wrote into its installation (read-only in the image)"
    assert not (tmp_path / "nonexistent").exists()


def test_unit_stops_restarting_on_exit_statuses_that_need_a_person():
    settings = unit_settings()
    assert set(settings["RestartPreventExitStatus"][0].split()) == {"2", "3", "4"}
    assert settings["Restart"] == ["always"]
    assert Path(settings["ExecStart"][0].split()[0]).is_absolute()
    assert settings["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert settings["DynamicUser"] == ["yes"]
    credential = settings["LoadCredential"][0].split(":")[0]
    assert f"TELEGRAM_BOT_TOKEN_FILE=%d/{credential}" in settings["Environment"]
    assert f"KYR_DATA_DIR=%S/{settings['StateDirectory'][0]}" in settings["Environment"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_unit_passes_systemd_analyze_verify(image_like: InstalledBot, tmp_path: Path):
    # ExecStart must name an existing program: point it at the installed kyr-bot for the check.
    exec_start = unit_settings()["ExecStart"][0].split()[0]
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text(encoding="utf-8").replace(exec_start, str(image_like.kyr_bot)), encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"},
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stdout + result.stderr


def test_compose_example_is_read_only_with_the_token_as_a_secret():
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    (service,) = compose["services"].values()
    assert service["read_only"] is True
    assert service["environment"]["TELEGRAM_BOT_TOKEN_FILE"] == f"/run/secrets/{SECRET}"
    assert SECRET in service["secrets"] and SECRET in compose["secrets"]
    volume = next(v for v in service["volumes"] if v.endswith(":/data"))
    assert volume.split(":")[0] in compose["volumes"]
    assert service["cap_drop"] == ["ALL"] and "no-new-privileges:true" in service["security_opt"]
    assert service["restart"] == "unless-stopped" and "/tmp" in service["tmpfs"]
