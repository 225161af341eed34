"""Settings for running the Telegram bot, read from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .storage import default_data_dir

DEFAULT_API_URL = "https://api.telegram.org/bot"
TELEGRAM_OVERALL_RATE = 30.0  # messages a second Telegram allows a bot overall


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line for the operator."""


@dataclass(frozen=True)
class Settings:
    token: str
    api_url: str = DEFAULT_API_URL
    data_dir: Path = Path(".")
    max_rate: float = TELEGRAM_OVERALL_RATE  # 0 turns the rate limiter off
    webhook_secret: str | None = None

    @property
    def file_url(self) -> str:
        """Bot API file URL that goes with ``api_url`` ('.../bot' -> '.../file/bot')."""
        base = self.api_url.rstrip("/")
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base + "/file/bot"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
        if not token:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and export TELEGRAM_BOT_TOKEN=... "
                "(to try the bot without Telegram, run: kyr-bot chat)"
            )
        if any(c.isspace() for c in token) or ":" not in token:
            raise SettingsError("TELEGRAM_BOT_TOKEN does not look like a bot token (expected digits:letters).")
        api_url = env.get("TELEGRAM_API_URL", "").strip() or DEFAULT_API_URL
        if not api_url.startswith(("http://", "https://")):
            raise SettingsError("TELEGRAM_API_URL must start with http:// or https:// (e.g. http://127.0.0.1:8081/bot)")
        raw_rate = env.get("KYR_MAX_RATE", "").strip()
        try:
            max_rate = float(raw_rate) if raw_rate else TELEGRAM_OVERALL_RATE
        except ValueError:
            raise SettingsError(f"KYR_MAX_RATE must be a number of messages a second, not {raw_rate!r}") from None
        if max_rate < 0:
            raise SettingsError("KYR_MAX_RATE cannot be negative (0 turns the limiter off)")
        data_dir = Path(env["KYR_DATA_DIR"]) if env.get("KYR_DATA_DIR") else default_data_dir()
        secret = env.get("TELEGRAM_WEBHOOK_SECRET", "").strip() or None
        return cls(token=token, api_url=api_url, data_dir=data_dir, max_rate=max_rate, webhook_secret=secret)
