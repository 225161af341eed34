"""The exit statuses of ``kyr-bot run`` (and the other commands), in one place.

A service manager can act on them: restart after anything else, but not after 2, 3 or 4, which a restart
cannot fix (the systemd unit's ``RestartPreventExitStatus``).
"""

from __future__ import annotations

OK = 0  # stopped normally (SIGTERM, SIGINT)
FAILED = 1  # an unexpected error (logged without what people wrote), or a failed health check
BAD_CONFIG = 2  # bad configuration or broken content (knowledge base, translation catalogs)
TOKEN_REJECTED = 3  # Telegram rejected the bot token (HTTP 401/404)
ANOTHER_COPY = 4  # another copy runs on this data folder, or polls this token and this copy gave way (HTTP 409)
