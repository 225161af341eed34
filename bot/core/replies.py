"""What crosses the seam between the core and a channel, both ways: a :class:`Message` from a
:class:`User` in, a :class:`Reply` (text in Telegram's HTML subset, buttons, maybe a picture) out.
Nothing here is channel-specific."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Button:
    """One button. Exactly one of ``data`` (press it), ``url`` (open it) or ``share`` (send it) is set."""

    label: str
    data: str | None = None
    url: str | None = None
    share: str | None = None  # inline query that brings up this answer in a chat the user picks


@dataclass(frozen=True)
class Photo:
    """A picture to send: ``key`` names its content (a hash: a front end may keep the uploaded copy's id
    beside it), ``png`` its bytes, ``caption`` the text under it, ``filename`` a name to save it as."""

    key: str
    png: bytes = field(repr=False)
    caption: str
    filename: str


@dataclass(frozen=True)
class Hold:
    """A message flood protection held back: the newest of a burst. A channel calls
    ``Conversation.release(hold)`` once ``seconds`` have passed; it gets the reply then, or None when a
    newer message from the same sender came meanwhile (that one is answered instead)."""

    key: tuple[int | None, int | None]  # (chat, sender)
    ticket: int
    seconds: float


@dataclass(frozen=True)
class Reply:
    """A message for the user, in Telegram's HTML subset."""

    text: str
    lang: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    edit: bool = False  # replace the message whose button was pressed instead of sending a new one
    notice: str | None = None  # short note shown when a button is pressed (callback answer)
    language_changed: bool = False  # the user's saved language changed (front ends update menus)
    forget_user: bool = False  # everything about the user was deleted (front ends drop per-chat menus)
    photo: Photo | None = None  # a picture sent instead of text (the rights card); ``text`` is then empty
    hold: Hold | None = None  # held back by flood protection: ask the core again after ``hold.seconds``

    def all_buttons(self) -> list[Button]:
        """Every button, row by row."""
        return [b for row in self.buttons for b in row]


@dataclass(frozen=True)
class InlineAnswer:
    """One choice in inline mode (@bot question): a full, self-contained answer."""

    id: str
    title: str
    description: str
    text: str
    buttons: tuple[tuple[Button, ...], ...] = field(default=())
    photo_key: str | None = None  # an inline photo result: the picture with this key (the rights card)
    caption: str = ""


@dataclass(frozen=True)
class User:
    """Who is talking, as far as the conversation needs to know: never a name or a username."""

    id: int | None  # whose flood budget and saved language: a person, or the chat they speak for
    client_lang: str | None = None  # the app's language code, e.g. 'es-MX'
    sent_at: float | None = None  # when the message was sent (Unix seconds); None: now
    in_group: bool = False  # the message came from a group (help says how to ask there)
    flood_exempt: bool = False  # the newest message of a burst the flood guard held back: answer it
    chat_id: int | None = None  # where the message was sent (a channel's own chat id), for held messages


@dataclass(frozen=True)
class Command:
    """A command as typed, resolved by ``Conversation.command``: ``name`` (lowercase, no slash), ``arg``
    (the text after it), ``action`` (what it does; None when the bot has no such command) and ``hint``
    (the language its name implies, e.g. ``es`` for /temas)."""

    name: str
    arg: str = ""
    action: str | None = None
    hint: str | None = None

    @property
    def known(self) -> bool:
        """True when this bot has the command."""
        return self.action is not None


@dataclass(frozen=True)
class Forwarded:
    """What a channel knows of a forwarded message's origin: when it was first sent (Unix seconds; None
    when the channel cannot tell). Never who sent it or where from."""

    sent_at: float | None = None


@dataclass(frozen=True)
class Message:
    """What a person sent: a ``command``, else ``text`` (a question; empty for a picture, sticker or
    voice note without words). ``caption``: the words came with a picture or file, which the bot cannot
    read (the reply says so). ``forwarded``: the message was forwarded (the reply says how old its
    original is). ``quoted``: the message a command answers (``/verificar`` sent as a reply to an alert).
    ``replies_to_forwarded``: the message replies to a forwarded one. A forwarded message, or a reply to
    one, may carry someone else's words: the bot never offers to send it for review."""

    text: str = ""
    command: Command | None = None
    caption: bool = False
    media_only: bool = False  # a picture, sticker, voice note… with no words at all
    forwarded: Forwarded | None = None
    quoted: Message | None = None
    replies_to_forwarded: bool = False
