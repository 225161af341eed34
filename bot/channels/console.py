"""``kyr-bot chat``: the same conversation in a terminal. Buttons become numbered choices."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from .compose import to_plain
from .conversation import Conversation
from .i18n import translator
from .knowledge import KnowledgeBase
from .replies import Button, Reply, User
from .storage import MemoryStore

CONSOLE_USER_ID = 0
QUIT_WORDS = {"/quit", "/exit", "quit", "exit", "/salir", "salir"}


class ConsoleChat:
    """The terminal chat: replies printed as plain text, buttons as numbered choices."""

    def __init__(
        self, conversation: Conversation, out: TextIO, lang: str | None = None, system_language: str | None = None
    ) -> None:
        self.conversation = conversation
        self.out = out
        self.user = User(CONSOLE_USER_ID, lang or system_language)
        if lang:
            conversation.store.set_language(CONSOLE_USER_ID, lang)
        self.buttons: list[Button] = []
        self.photo_dir = Path.cwd()
        self.lang = conversation.language(self.user)

    def show(self, reply: Reply | None) -> None:
        """Print a reply (text, picture saved to a file, numbered buttons)."""
        if reply is None:
            return
        if reply.notice:
            self.out.write(f"({reply.notice})\n")
        if reply.photo is not None:
            self.save_photo(reply)
        if not reply.text and reply.photo is None:
            return
        self.lang = reply.lang
        if reply.text:
            self.out.write(to_plain(reply.text).rstrip() + "\n")
        self.buttons = reply.all_buttons()
        for number, button in enumerate(self.buttons, start=1):
            self.out.write(f"  [{number}] {button.label}\n")
        self.out.write("\n")
        self.out.flush()

    def save_photo(self, reply: Reply) -> None:
        """Write the picture to ``photo_dir`` and say where (the terminal cannot show it)."""
        assert reply.photo is not None
        _ = translator(reply.lang).gettext
        path = (self.photo_dir / reply.photo.filename).resolve()
        try:
            path.write_bytes(reply.photo.png)
        except OSError as exc:
            self.out.write(_("Could not save the picture ({error}).").format(error=exc.strerror) + "\n")
            return
        self.out.write(_("Saved the picture to {path}").format(path=path) + "\n")
        self.out.write(reply.photo.caption + "\n")

    def press(self, button: Button) -> Reply | None:
        """Press a numbered button: a callback, a link printed, or how to share."""
        if button.data:
            return self.conversation.handle_callback(self.user, button.data)
        _ = translator(self.lang).gettext
        if button.url:
            self.out.write(f"{button.url}\n\n")
        elif button.share is not None:
            # On Telegram this opens the chat picker; here, the answer above is the text to copy.
            self.out.write(
                _(
                    "To share an answer, forward it or press Share. You can also type @{bot} and a "
                    "question in any chat."
                ).format(bot=self.conversation.bot_username or "bot")
                + "\n\n"
            )
        return None

    def handle_line(self, line: str) -> Reply | None:
        """One typed line: a button number, a command or a question."""
        text = line.strip()
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            return self.press(self.buttons[int(text) - 1])
        if text.startswith("/") and len(text) > 1:
            command, _, arg = text[1:].partition(" ")
            return self.conversation.handle_command(self.user, command.split("@")[0], arg)
        return self.conversation.handle_text(self.user, line)

    def run(self, lines: TextIO, interactive: bool) -> int:
        """Read lines until end of input or a quit word; returns 0."""
        self.show(self.conversation.handle_command(self.user, "start"))
        if interactive:
            _ = translator(self.lang).gettext
            self.out.write(_("(Type a question, or a number to press a button. Type quit to leave.)") + "\n")
        while True:
            if interactive:
                self.out.write("> ")
                self.out.flush()
            line = lines.readline()
            if not line:
                break
            if not line.strip():
                continue
            if line.strip().lower() in QUIT_WORDS:
                break
            self.show(self.handle_line(line.rstrip("\r\n")))
        return 0


def run_console(
    kb: KnowledgeBase,
    lang: str | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    system_language: str | None = None,
    cache_dir: Path | None = None,
) -> int:
    """Chat in the terminal until end of input or a quit word; returns the exit status (0). ``cache_dir``:
    where the matcher may cache its fitted ranker."""
    conversation = Conversation.from_knowledge(kb, MemoryStore(), cache_dir=cache_dir)
    chat = ConsoleChat(conversation, stdout or sys.stdout, lang, system_language)
    stdin = stdin or sys.stdin
    return chat.run(stdin, interactive=stdin.isatty())
