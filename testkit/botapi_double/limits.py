"""The Bot API double's constants: the test bot's identity, Telegram's limits (from the Bot API
reference, https://core.telegram.org/bots/api), and which parameters are strings or numbers."""

from __future__ import annotations

import re
from typing import Any, Literal

BOT_ID = 999
BOT_USERNAME = "kyr_test_bot"
BOT_FIRST_NAME = "KYR Test Bot"
DEFAULT_TOKEN = "123456:TEST-TOKEN"

JSONDict = dict[str, Any]
NonTextKind = Literal["photo", "sticker", "voice", "location", "document"]

# --------------------------------------------------------------------------------------------------
# Telegram limits
# --------------------------------------------------------------------------------------------------
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_RESULTS = 50
MAX_INLINE_RESULT_ID_BYTES = 64
MAX_COMMANDS = 100
MAX_COMMAND_LENGTH = 32
MAX_COMMAND_DESCRIPTION_LENGTH = 256
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 512
MAX_SHORT_DESCRIPTION_LENGTH = 120
MAX_GET_UPDATES_LIMIT = 100

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_INT_RE = re.compile(r"^-?\d+$")
_FLOAT_RE = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_METHOD_PATH_RE = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z0-9_]+)/?$")
_FILE_PATH_RE = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")
# What Telegram marks as a bot command / a mention (the entity ends where these stop matching).
_BOT_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,32})?")
_MENTION_RE = re.compile(r"(?<![A-Za-z0-9_])@[A-Za-z0-9_]{5,32}")
GENERAL_TOPIC_ID = 1  # the General topic of a forum: messages there carry no message_thread_id

# Update types Telegram delivers when allowed_updates was never specified (or is an empty list).
_NOT_DEFAULT_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

# Parameters that are always strings, even if their content looks like a number or JSON.
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "query",
        "data",
        "description",
        "short_description",
        "url",
        "secret_token",
        "parse_mode",
        "action",
        "language_code",
        "command",
        "title",
        "name",
        "emoji",
        "next_offset",
        "switch_pm_text",
        "switch_pm_parameter",
        "ip_address",
        "question",
        "address",
        "first_name",
        "last_name",
        "phone_number",
        "vcard",
        "inline_query_id",
        "callback_query_id",
        "inline_message_id",
        "business_connection_id",
        "custom_emoji_id",
        "message_effect_id",
        "file_id",
        "sticker",
        "photo",
        "document",
        "voice",
        "audio",
        "video",
        "animation",
        "thumbnail",
        "certificate",
    }
)

# Parameters that are numeric (besides the generic ``*_id`` ones that are not in _STRING_FIELDS).
_NUMERIC_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "user_id",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "max_connections",
        "duration",
        "width",
        "height",
        "length",
        "latitude",
        "longitude",
        "horizontal_accuracy",
        "live_period",
        "heading",
        "proximity_alert_radius",
        "until_date",
        "message_thread_id",
        "reply_to_message_id",
    }
)
