"""Settings from the environment: what an operator sees when something is missing or wrong."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.runtime.config import DEFAULT_API_URL, Config, ConfigError
from testkit.paths import ROOT

TOKEN = "123456:ABCdefGhIJKlmnoPQRstuVWXyz012345678"


def test_missing_token_is_one_clear_line_from_the_real_command(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "KYR_"))}
    env["KYR_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN is not set" in lines[0] and "kyr-bot chat" in lines[0]
    assert "Traceback" not in result.stderr


def test_defaults_and_self_hosted_api_url(tmp_path):
    config = Config.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "KYR_DATA_DIR": str(tmp_path)})
    assert config.api_url == DEFAULT_API_URL and config.max_rate == 30 and config.data_dir == tmp_path
    local = Config.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": "http://127.0.0.1:8081/bot"})
    assert local.api_url == "http://127.0.0.1:8081/bot"
    assert local.file_url == "http://127.0.0.1:8081/file/bot"
    assert Config.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "KYR_MAX_RATE": "0"}).max_rate == 0
    assert config.stop_seconds == 20  # below systemd's and Docker's 30 s stop timeouts in the recipes
    assert Config.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "KYR_STOP_SECONDS": "5"}).stop_seconds == 5


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"TELEGRAM_BOT_TOKEN": "not a token"}, "does not look like a bot token"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": "127.0.0.1:8081/bot"}, "must start with http"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "KYR_MAX_RATE": "fast"}, "KYR_MAX_RATE must be a number"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "KYR_MAX_RATE": "-1"}, "cannot be negative"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "KYR_STOP_SECONDS": "soon"}, "KYR_STOP_SECONDS must be a number"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "KYR_STOP_SECONDS": "-3"}, "KYR_STOP_SECONDS cannot be negative"),
    ],
)
def test_bad_settings_are_named(env, words):
    with pytest.raises(ConfigError, match=words) as info:
        Config.from_env(env)
    assert TOKEN not in str(info.value)
