"""Text as Telegram reads it: the entities it marks by itself, its HTML subset (approximated), and
lengths in UTF-16 code units, as the Bot API counts them."""

from __future__ import annotations

import html
import re

from testkit.botapi_double.limits import _BOT_COMMAND_RE, _MENTION_RE, JSONDict
from testkit.botapi_double.wire import _bad_request


def _auto_entities(text: str) -> list[JSONDict]:
    """The entities Telegram marks by itself in a text or caption: a bot command at the start (only
    the command-shaped part: an invisible character after it is not part of it) and @mentions."""
    entities: list[JSONDict] = []
    command = _BOT_COMMAND_RE.match(text)
    if command:
        entities.append({"type": "bot_command", "offset": 0, "length": _utf16_len(command.group())})
    for mention in _MENTION_RE.finditer(text):
        offset = _utf16_len(text[: mention.start()])
        entities.append({"type": "mention", "offset": offset, "length": _utf16_len(mention.group())})
    return entities


# --------------------------------------------------------------------------------------------------
# Helpers: HTML parsing (approximating Telegram's parser), parameter decoding
# --------------------------------------------------------------------------------------------------

_SUPPORTED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "tg-spoiler",
        "span",
        "blockquote",
        "tg-emoji",
    }
)
_TAG_RE = re.compile(r"<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9-]*)(?P<attrs>[^<>]*)>")
_ATTR_RE = re.compile(r"""\s*([A-Za-z-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#\d+|#[xX][0-9a-fA-F]+);")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _parse_attrs(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    pos = 0
    raw = raw.rstrip()
    while pos < len(raw):
        match = _ATTR_RE.match(raw, pos)
        if not match or match.end() == pos:
            break
        name = match.group(1).lower()
        value = next((g for g in match.groups()[1:] if g is not None), "")
        attrs[name] = html.unescape(value)
        pos = match.end()
    return attrs


def html_to_plain(text: str) -> str:
    """Validate Telegram-flavoured HTML and return the text with tags stripped and entities decoded.

    Raises ``_ApiError`` (400 "can't parse entities: ...") for malformed markup, like Telegram does.
    """
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    while True:
        lt = text.find("<", pos)
        chunk = text[pos:] if lt < 0 else text[pos:lt]
        out.append(_ENTITY_RE.sub(lambda m: html.unescape(m.group(0)), chunk))
        if lt < 0:
            break
        offset = _byte_offset(text, lt)
        match = _TAG_RE.match(text, lt)
        if match is None:
            if text.find(">", lt) < 0:
                raise _bad_request(f"can't parse entities: Unclosed start tag at byte offset {offset}")
            bad = re.match(r"</?([^\s<>]*)", text[lt:])
            name = bad.group(1) if bad else ""
            raise _bad_request(f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {offset}')
        name = match.group("name").lower()
        if match.group("close"):
            if not stack:
                raise _bad_request(f"can't parse entities: Unexpected end tag at byte offset {offset}")
            expected = stack.pop()
            if expected != name:
                raise _bad_request(
                    f"can't parse entities: Unmatched end tag at byte offset {offset}, "
                    f'expected "</{expected}>", found "</{name}>"'
                )
        else:
            if name not in _SUPPORTED_TAGS:
                raise _bad_request(f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {offset}')
            attrs = _parse_attrs(match.group("attrs"))
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise _bad_request(
                    f'can\'t parse entities: Tag "span" must have class "tg-spoiler" at byte offset {offset}'
                )
            if name == "tg-emoji" and not attrs.get("emoji-id"):
                raise _bad_request(
                    "can't parse entities: Custom emoji entity must contain a valid custom emoji "
                    f"identifier at byte offset {offset}"
                )
            stack.append(name)
        pos = match.end()
    if stack:
        raise _bad_request(f"can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\"")
    return "".join(out)


def _plain_text(text: str, parse_mode: str | None) -> str:
    if parse_mode and parse_mode.lower() == "html":
        return html_to_plain(text)
    return text


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
