"""The core keeps Telegram's documented limits in one module (bot/core/limits.py): each is held against
python-telegram-bot's own constants, so a wrong number cannot hide there."""

from telegram import constants

from bot.core import limits


def test_every_limit_matches_python_telegram_bots_constants():
    assert limits.MESSAGE_TEXT_CHARS == constants.MessageLimit.MAX_TEXT_LENGTH
    assert limits.CAPTION_CHARS == constants.MessageLimit.CAPTION_LENGTH
    assert limits.CALLBACK_DATA_BYTES == constants.InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
    assert limits.CALLBACK_NOTICE_CHARS == constants.CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH
    assert limits.INLINE_RESULTS == constants.InlineQueryLimit.RESULTS
    assert limits.INLINE_QUERY_CHARS == constants.InlineQueryLimit.MAX_QUERY_LENGTH
    assert limits.INLINE_RESULT_ID_BYTES == constants.InlineQueryResultLimit.MAX_ID_LENGTH
    assert limits.INPUT_PLACEHOLDER_CHARS == constants.ReplyLimit.MAX_INPUT_FIELD_PLACEHOLDER
    assert limits.WEBHOOK_SECRET_CHARS == constants.WebhookLimit.MAX_SECRET_TOKEN_LENGTH
    assert limits.OVERALL_MESSAGES_PER_SECOND == constants.FloodLimit.MESSAGES_PER_SECOND
    assert limits.GROUP_MESSAGES_PER_MINUTE == constants.FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP


def test_no_other_module_writes_a_limit_by_hand():
    """Telegram's distinctive numbers (4096, 1024, 256) appear as numbers in bot/ only in limits.py."""
    import ast

    from testkit.paths import ROOT

    found = []
    for path in (ROOT / "bot").rglob("*.py"):
        if path.name == "limits.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and type(node.value) is int and node.value in (4096, 1024, 256):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}")
    assert found == []
