"""The Telegram channel (python-telegram-bot): a thin layer over the conversation core, and the only
folder that imports ``telegram``.

:mod:`.app` builds the Application, :mod:`.runner` runs it (:mod:`.startup` reaches Telegram,
:mod:`.poller` polls and confirms only what was handled, :mod:`.webhook` serves a webhook),
:mod:`.intake` reads each update on its own and claims it once in the :mod:`.ledger` of handled updates,
:mod:`.handlers` turns updates into conversation calls, :mod:`.markup` turns replies into keyboards and
inline results, :mod:`.delivery` sends with the one retry policy, :mod:`.filters` picks group messages
meant for the bot, :mod:`.updates` keeps each chat's updates in order, :mod:`.incoming` reads who asked
and where, :mod:`.outgoing` answers there, :mod:`.throttle` keeps to Telegram's sending limits per chat,
:mod:`.polling` settles two copies polling one token.
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
