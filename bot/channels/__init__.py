"""Channels: the ways people reach the conversation core. Each is a sibling here and talks to the core
only through :class:`bot.core.conversation.Conversation`'s public methods: :mod:`.console` (the terminal
chat) and :mod:`.telegram` (the only folder that imports python-telegram-bot). A new channel is a new
module or folder here, wired in :mod:`bot.app`."""
