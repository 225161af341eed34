"""``kyr-bot chat``: the conversation in a terminal, a channel beside Telegram. Buttons become numbered
choices; pictures are saved to files. It follows the same flood rules as Telegram: past a burst, one
'slow down' note, and the newest message of the burst is answered once the sender is quiet at the prompt
(at a terminal on Linux or macOS; elsewhere at the next line, or when the input ends)."""

from __future__ import annotations

import contextlib
import select
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from bot.core.conversation import Conversation
from bot.core.replies import Button, Hold, Message, Reply, User
from bot.i18n import translator
from bot.screens.compose import to_terminal

CONSOLE_USER_ID = 0
QUIT_WORDS = {"/quit", "/exit", "quit", "exit", "/salir", "salir"}
INTERRUPTED = 130  # the shell's status for a program stopped by Ctrl-C (128 + SIGINT)


class ConsoleChat:
    """The terminal chat: replies printed as plain text, buttons as numbered choices. ``clock`` gives
    seconds (monotonic), for held messages."""

    def __init__(
        self,
        conversation: Conversation,
        out: TextIO,
        lang: str | None = None,
        system_language: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.conversation = conversation
        self.out = out
        self.clock = clock
        self.user = User(CONSOLE_USER_ID, lang or system_language, chat_id=CONSOLE_USER_ID)
        if lang:
            conversation.store.set_language(CONSOLE_USER_ID, lang)
        self.buttons: list[Button] = []
        self.photo_dir = Path.cwd()
        self.lang = conversation.language(self.user)
        self._held: tuple[Hold, float] | None = None  # a message held back, and when it was held

    def show(self, reply: Reply | None) -> None:
        """Print a reply (text, picture saved to a file, numbered buttons); remember a held message."""
        if reply is None:
            return
        if reply.hold is not None:
            self._held = (reply.hold, self.clock())
        if reply.notice:
            self.out.write(f"({reply.notice})\n")
        if reply.photo is not None:
            self.save_photo(reply)
        if not reply.text and reply.photo is None:
            return
        self.lang = reply.lang
        if reply.text:
            self.out.write(to_terminal(reply.text).rstrip() + "\n")
        self.buttons = reply.all_buttons()
        for number, button in enumerate(self.buttons, start=1):
            self.out.write(f"  [{number}] {button.label}\n")
        self.out.write("\n")
        self.out.flush()

    def release_held(self, quiet: bool = False) -> None:
        """Answer a held message once its hold has passed (``quiet``: the input ended, so now)."""
        if self._held is None:
            return
        hold, since = self._held
        if quiet or self.clock() - since >= hold.seconds:
            self._held = None
            self.show(self.conversation.release(hold))

    def wait_for_hold(self, lines: TextIO) -> None:
        """At the prompt of a terminal, with a message held back: wait until its hold has passed or a line
        is typed, whichever comes first, and answer it if its hold has passed (so the newest message of a
        burst is answered once the person pauses, as on Telegram). Only on a terminal on Linux or macOS,
        which hands over one line at a time; elsewhere (Windows, piped input) it is answered at the next
        line or when the input ends."""
        if self._held is None or sys.platform == "win32" or not _is_terminal(lines):
            return
        hold, since = self._held
        remaining = hold.seconds - (self.clock() - since)
        # Where input() edits the line (readline, a terminal both ways), what is typed meanwhile is shown
        # once, after the prompt, when it is read: the terminal need not echo it now.
        edited = lines is sys.stdin and self.out is sys.stdout and sys.stdout.isatty() and "readline" in sys.modules
        with _no_echo(lines) if edited else contextlib.nullcontext():
            if remaining > 0 and select.select([lines.fileno()], [], [], remaining)[0]:
                return  # a line is coming: it is read next, and answered in order
        if not edited:
            self.out.write("\n")  # off any half-typed line the terminal has echoed
        self.release_held(quiet=True)

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
            self.out.write(_("To share this answer, copy the text above: it stands alone.") + "\n\n")
        return None

    def handle_line(self, line: str) -> Reply | None:
        """One typed line: a button number, a command or a question."""
        text = line.strip()
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            return self.press(self.buttons[int(text) - 1])
        if text.isdigit() and len(text) <= 2 and self.buttons:
            _ = translator(self.lang).gettext
            self.out.write(
                _("There is no button {number}: type a number from 1 to {last}, or a question.").format(
                    number=int(text), last=len(self.buttons)
                )
                + "\n\n"
            )
            return None
        user = self.user
        if text.startswith("/") and len(text) > 1:
            name, _, arg = text[1:].partition(" ")
            command = self.conversation.command(name.split("@")[0], arg.strip())
            reply = self.conversation.handle(user, Message(command=command))
        else:
            reply = self.conversation.handle(user, Message(line))
        if reply.hold is None:
            self._held = None  # answered now (or /delete): any message held before it is not answered
        return reply

    def run(self, lines: TextIO, interactive: bool) -> int:
        """Read lines until end of input or a quit word (0), or Ctrl-C (:data:`INTERRUPTED`, no traceback)."""
        try:
            return self._run(lines, interactive)
        except KeyboardInterrupt:
            self.out.write("\n")
            self.out.flush()
            return INTERRUPTED

    def _run(self, lines: TextIO, interactive: bool) -> int:
        self.show(self.conversation.handle(self.user, Message(command=self.conversation.command("start"))))
        if interactive:
            _ = translator(self.lang).gettext
            self.out.write(_("(Type a question, or a number to press a button. Type quit to leave.)") + "\n")
        while True:
            if interactive:
                self.wait_for_hold(lines)
            line = _read_line(lines, self.out) if interactive else lines.readline()
            self.release_held(quiet=not line)
            if not line:
                break
            if not line.strip():
                continue
            if line.strip().lower() in QUIT_WORDS:
                break
            self.show(self.handle_line(line.rstrip("\r\n")))
        return 0


def _is_terminal(lines: TextIO) -> bool:
    """True when ``lines`` is a terminal (a tty) that can be waited on."""
    try:
        return lines.isatty() and lines.fileno() >= 0
    except (AttributeError, OSError, ValueError):  # an in-memory or closed stream
        return False


@contextlib.contextmanager
def _no_echo(lines: TextIO) -> Iterator[None]:
    """The terminal does not echo what is typed while inside (restored on the way out, Ctrl-C included)."""
    import termios  # Linux and macOS only, like the wait that uses it

    fd = lines.fileno()
    try:
        kept = termios.tcgetattr(fd)
    except termios.error:  # a terminal whose settings cannot be read: leave it as it is
        yield
        return
    quiet = list(kept)
    quiet[3] &= ~termios.ECHO  # the local modes
    try:
        termios.tcsetattr(fd, termios.TCSANOW, quiet)
        yield
    finally:
        with contextlib.suppress(termios.error):
            termios.tcsetattr(fd, termios.TCSANOW, kept)


def _read_line(lines: TextIO, out: TextIO) -> str:
    """One line typed at the prompt, with the arrow keys and history (the readline module, where Python
    has it) when ``lines`` is the terminal; '' at the end of input."""
    if lines is sys.stdin and out is sys.stdout:
        try:
            return input("> ") + "\n"
        except EOFError:
            return ""
    out.write("> ")
    out.flush()
    return lines.readline()


def run_console(
    conversation: Conversation,
    lang: str | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    system_language: str | None = None,
) -> int:
    """Chat in the terminal until end of input or a quit word; returns the exit status (0)."""
    chat = ConsoleChat(conversation, stdout or sys.stdout, lang, system_language)
    stdin = stdin or sys.stdin
    interactive = stdin.isatty()
    if interactive:
        with contextlib.suppress(ImportError):  # line editing for input(); not on every platform
            import readline  # noqa: F401
    return chat.run(stdin, interactive=interactive)
