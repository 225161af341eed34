"""The Telegram channel (python-telegram-bot): a thin layer over the conversation core, and the only
folder that imports ``telegram``.

:mod:`.app` builds the Application, :mod:`.runner` runs it (:mod:`.startup` reaches Telegram,
:mod:`.webhook` serves a webhook), :mod:`.handlers` turns updates into conversation calls,
:mod:`.markup` turns replies into keyboards and inline results, :mod:`.delivery` sends with retries,
:mod:`.filters` picks group messages meant for the bot, :mod:`.updates` orders and de-duplicates updates,
:mod:`.incoming` reads who asked and where, :mod:`.outgoing` answers there, :mod:`.throttle` keeps to
Telegram's sending limits per chat, :mod:`.polling` settles two copies polling one token.
"""

from bot.channels.telegram.app import ALLOWED_UPDATES, TelegramBot, build_application
from bot.channels.telegram.delivery import DeliveryPolicy, deliver, split_text
from bot.channels.telegram.runner import RunOptions, run_bot

__all__ = [
    "ALLOWED_UPDATES",
    "DeliveryPolicy",
    "RunOptions",
    "TelegramBot",
    "build_application",
    "deliver",
    "run_bot",
    "split_text",
]
