"""The bot's configuration, read from the environment once (every ``KYR_*`` and ``TELEGRAM_*``
variable; the README's settings table lists them). Nothing else in the bot reads ``os.environ``."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot import resources
from bot.core.limits import OVERALL_MESSAGES_PER_SECOND, WEBHOOK_SECRET_CHARS

DEFAULT_API_URL = "https://api.telegram.org/bot"
TELEGRAM_OVERALL_RATE = OVERALL_MESSAGES_PER_SECOND  # messages a second Telegram allows a bot overall
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
WEBHOOK_SECRET_RULE = re.compile(rf"[A-Za-z0-9_-]{{1,{WEBHOOK_SECRET_CHARS}}}")  # Bot API, setWebhook secret_token


class ConfigError(ValueError):
    """A setting is missing or malformed; the message is one line for the operator, never the token."""


@dataclass(frozen=True)
class Config:
    """Everything the operator can set. ``max_rate`` is messages a second (0: no limiter)."""

    token: str = field(default="", repr=False)
    api_url: str = DEFAULT_API_URL
    data_dir: Path = Path(".")
    max_rate: float = TELEGRAM_OVERALL_RATE
    webhook_secret: str | None = field(default=None, repr=False)
    operator: str | None = None
    knowledge_dir: Path = field(default_factory=resources.knowledge_dir)
    locales_dir: Path = field(default_factory=resources.locales_dir)
    log_level: str = "INFO"
    system_language: str | None = None  # from LC_ALL / LC_MESSAGES / LANG, for the console chat
    conflict_grace: float = 30.0  # seconds a copy polls before it holds its ground against a copy started later
    stop_seconds: float = 20.0  # KYR_STOP_SECONDS: at a stop, how long answers still on their way may take
    model_dir: Path | None = None  # KYR_MODEL_DIR: where to cache the matcher's fitted ranker

    @property
    def model_cache_dir(self) -> Path:
        """Where the matcher caches its fitted ranker when the package ships none (no user data):
        ``KYR_MODEL_DIR``, else ``model/`` in the data directory."""
        return self.model_dir or self.data_dir / "model"

    @property
    def file_url(self) -> str:
        """Bot API file URL that goes with ``api_url`` ('.../bot' -> '.../file/bot')."""
        base = self.api_url.rstrip("/")
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base + "/file/bot"

    @property
    def log_level_number(self) -> int:
        """``log_level`` as a :mod:`logging` number."""
        return int(getattr(logging, self.log_level))

    @classmethod
    def from_env(cls, env: Mapping[str, str], need_token: bool = True) -> Config:
        """Read the settings from ``env`` (pass ``os.environ``); only ``env`` is read.

        ``need_token``: ``kyr-bot run`` needs a valid token (``TELEGRAM_BOT_TOKEN``, or a file named by
        ``TELEGRAM_BOT_TOKEN_FILE``); other commands ignore it. Raises ConfigError naming the variable.
        """
        token = _token(env) if need_token else ""
        api_url = env.get("TELEGRAM_API_URL", "").strip() or DEFAULT_API_URL
        if not api_url.startswith(("http://", "https://")):
            raise ConfigError("TELEGRAM_API_URL must start with http:// or https:// (e.g. http://127.0.0.1:8081/bot)")
        raw_rate = env.get("KYR_MAX_RATE", "").strip()
        try:
            max_rate = float(raw_rate) if raw_rate else TELEGRAM_OVERALL_RATE
        except ValueError:
            raise ConfigError(f"KYR_MAX_RATE must be a number of messages a second, not {raw_rate!r}") from None
        if max_rate < 0:
            raise ConfigError("KYR_MAX_RATE cannot be negative (0 turns the limiter off)")
        raw_grace = env.get("KYR_CONFLICT_GRACE", "").strip()
        try:
            conflict_grace = float(raw_grace) if raw_grace else Config.conflict_grace
        except ValueError:
            raise ConfigError(f"KYR_CONFLICT_GRACE must be a number of seconds, not {raw_grace!r}") from None
        raw_stop = env.get("KYR_STOP_SECONDS", "").strip()
        try:
            stop_seconds = float(raw_stop) if raw_stop else Config.stop_seconds
        except ValueError:
            raise ConfigError(f"KYR_STOP_SECONDS must be a number of seconds, not {raw_stop!r}") from None
        if not stop_seconds >= 0:
            raise ConfigError("KYR_STOP_SECONDS cannot be negative")
        level = env.get("KYR_LOG_LEVEL", "").strip().upper() or "INFO"
        if level not in LOG_LEVELS:
            raise ConfigError(f"KYR_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {level!r}")
        return cls(
            token=token,
            api_url=api_url,
            data_dir=_data_dir(env),
            max_rate=max_rate,
            webhook_secret=_webhook_secret(env),
            operator=env.get("KYR_OPERATOR", "").strip() or None,
            knowledge_dir=_path(env, "KYR_KNOWLEDGE_DIR") or resources.knowledge_dir(),
            locales_dir=_path(env, "KYR_LOCALES_DIR") or resources.locales_dir(),
            log_level=level,
            system_language=_system_language(env),
            conflict_grace=max(conflict_grace, 0.0),
            stop_seconds=stop_seconds,
            model_dir=_path(env, "KYR_MODEL_DIR"),
        )


def _path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "").strip()
    return Path(value) if value else None


def _data_dir(env: Mapping[str, str]) -> Path:
    explicit = _path(env, "KYR_DATA_DIR")
    if explicit:
        return explicit
    base = _path(env, "XDG_DATA_HOME") or (_path(env, "HOME") or Path.home()) / ".local" / "share"
    return base / "kyr-bot"


def _token(env: Mapping[str, str]) -> str:
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    token_file = env.get("TELEGRAM_BOT_TOKEN_FILE", "").strip()
    source = "TELEGRAM_BOT_TOKEN"
    if not token and token_file:
        source = f"The token in TELEGRAM_BOT_TOKEN_FILE {token_file}"
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise ConfigError(f"TELEGRAM_BOT_TOKEN_FILE {token_file} cannot be read ({reason})") from None
        if not token:
            raise ConfigError(f"TELEGRAM_BOT_TOKEN_FILE {token_file} is empty")
    if not token:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and export TELEGRAM_BOT_TOKEN=... "
            "or name a file holding it in TELEGRAM_BOT_TOKEN_FILE "
            "(to try the bot without Telegram, run: kyr-bot chat)"
        )
    if any(c.isspace() for c in token) or ":" not in token:
        raise ConfigError(f"{source} does not look like a bot token (expected digits:letters).")
    return token


def _webhook_secret(env: Mapping[str, str]) -> str | None:
    secret = env.get("TELEGRAM_WEBHOOK_SECRET", "").strip()
    if not secret:
        return None
    if not WEBHOOK_SECRET_RULE.fullmatch(secret):
        # Never repeat the value: it is a secret, and it may be a token pasted in the wrong place.
        raise ConfigError(
            f"TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule); "
            f"this one has {len(secret)} characters{_odd_characters(secret)}. "
            "Make one with: openssl rand -hex 32"
        )
    return secret


def _odd_characters(secret: str) -> str:
    odd = sorted({c for c in secret if not WEBHOOK_SECRET_RULE.fullmatch(c)})
    if not odd:
        return ""
    names = ", ".join(repr(c) if c.isprintable() and c.isascii() else f"U+{ord(c):04X}" for c in odd[:5])
    return f", including {names}"


def _system_language(env: Mapping[str, str]) -> str | None:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return value.split(".")[0]
    return None
