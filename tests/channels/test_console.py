"""The terminal chat is a channel like Telegram: the same conversation, and the same flood rules (past a
burst, one 'slow down' note; the newest message of the burst is answered once the sender is quiet, or
when the input ends)."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading
import time

import pytest

from bot.channels.console import ConsoleChat
from bot.core.conversation import Conversation
from bot.core.flood import FloodGuard
from bot.core.preferences import MemoryStore
from bot.screens.compose import to_terminal
from testkit.harness import knowledge, shared_matcher

SLOW_DOWN = "You are sending messages very fast"
DETAINER_TITLE = "What is an ICE detainer?"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def chat(clock: Clock, lang: str = "en") -> tuple[ConsoleChat, io.StringIO]:
    flood = FloodGuard(burst=3, window=10.0, clock=clock)
    conversation = Conversation(knowledge(), shared_matcher(), MemoryStore(), flood=flood)
    out = io.StringIO()
    return ConsoleChat(conversation, out, lang=lang, clock=clock), out


def test_a_burst_gets_one_slow_down_note_and_its_last_message_is_answered_at_the_end_of_input():
    clock = Clock()
    console, out = chat(clock)
    lines = ["hello"] * 6 + ["what is an ice detainer"]
    console.run(io.StringIO("\n".join(lines) + "\n"), interactive=False)
    text = out.getvalue()
    assert text.count(SLOW_DOWN) == 1
    # The welcome and two greetings are answered, then the note; the last question is held, not lost.
    assert text.count(DETAINER_TITLE) == 1
    assert text.rindex(DETAINER_TITLE) > text.index(SLOW_DOWN)


def test_a_held_message_is_answered_once_the_sender_has_been_quiet():
    clock = Clock()
    console, out = chat(clock)
    console.show(console.handle_line("/start"))
    for _ in range(3):
        console.show(console.handle_line("hello"))
    assert SLOW_DOWN in out.getvalue()
    console.show(console.handle_line("what is an ice detainer"))  # dropped and held
    assert DETAINER_TITLE not in out.getvalue()
    console.release_held()  # too soon: still held
    assert DETAINER_TITLE not in out.getvalue()
    clock.now += 2
    console.release_held()
    assert out.getvalue().count(DETAINER_TITLE) == 1
    console.release_held(quiet=True)  # nothing left to answer
    assert out.getvalue().count(DETAINER_TITLE) == 1


def test_a_newer_message_supersedes_a_held_one():
    clock = Clock()
    console, out = chat(clock)
    for line in ("/start", "hello", "hello", "hello", "what is an ice detainer"):
        console.show(console.handle_line(line))
    clock.now += 0.5
    console.release_held()
    console.show(console.handle_line("what is 287g"))  # held in its place
    clock.now += 30  # the burst is over
    console.release_held()
    text = out.getvalue()
    assert DETAINER_TITLE not in text and "What is 287(g)?" in text


class InterruptedInput(io.StringIO):
    """Lines typed, then Ctrl-C at the prompt."""

    def readline(self, size: int = -1) -> str:
        line = super().readline(size)
        if not line:
            raise KeyboardInterrupt
        return line


def test_ctrl_c_leaves_quietly_with_the_shells_status():
    console, out = chat(Clock())
    assert console.run(InterruptedInput("what is an ice detainer\n"), interactive=False) == 130
    assert DETAINER_TITLE in out.getvalue()
    assert "Traceback" not in out.getvalue() and "KeyboardInterrupt" not in out.getvalue()


def test_a_number_with_no_button_says_so_in_the_readers_language():
    console, out = chat(Clock(), lang="es")
    console.show(console.handle_line("/temas"))  # the topic menu
    buttons = len(console.buttons)
    assert buttons > 2
    assert console.handle_line("99") is None
    assert (
        out.getvalue().rstrip().endswith(f"No hay un botón 99: escriba un número del 1 al {buttons}, o una pregunta.")
    )
    # A bigger number is a question (a zip code, a year), not a button.
    assert console.handle_line("82001") is not None


def test_share_in_the_terminal_says_to_copy_the_answer():
    console, out = chat(Clock())
    console.show(console.handle_line("what is an ice detainer"))
    share = next(i for i, b in enumerate(console.buttons, start=1) if b.share is not None)
    console.show(console.handle_line(str(share)))
    assert out.getvalue().rstrip().endswith("To share this answer, copy the text above: it stands alone.")


class ThreadSafeOutput(io.StringIO):
    """The chat's output, read by the typing thread while the chat writes it."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def write(self, text: str) -> int:
        with self.lock:
            return super().write(text)

    def text(self) -> str:
        with self.lock:
            return self.getvalue()


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal: Linux and macOS")
def test_at_a_terminal_prompt_a_held_message_is_answered_once_the_sender_pauses_without_another_line():
    # A person at the terminal sends a burst, then stops typing: the newest message is answered on its own
    # within its hold (1.5 s), not only when they type again; the one before it (which brought the note)
    # is superseded. Through a pseudo-terminal, which hands over one line at a time as a terminal does.
    import pty  # Linux and macOS only

    flood = FloodGuard(burst=3, window=10.0)
    conversation = Conversation(knowledge(), shared_matcher(), MemoryStore(), flood=flood)
    greeting = to_terminal(conversation.ask("hello", lang="en").text).splitlines()[0]
    out = ThreadSafeOutput()
    console = ConsoleChat(conversation, out, lang="en")
    typist, terminal = pty.openpty()
    with os.fdopen(terminal, "r", encoding="utf-8") as lines:
        chatting = threading.Thread(target=console.run, args=(lines, True))
        chatting.start()
        # The welcome counts: two greetings are answered, the third brings the note, the question is held.
        os.write(typist, b"hello\nhello\nhello\nwhat is an ice detainer\n")
        typed_at = time.monotonic()
        while DETAINER_TITLE not in out.text() and time.monotonic() < typed_at + 10:
            time.sleep(0.02)
        waited = time.monotonic() - typed_at
        os.write(typist, b"quit\n")
        chatting.join(10)
    os.close(typist)
    text = out.text()
    assert not chatting.is_alive()
    assert waited < 4, f"answered {waited:.1f} s after the last line, or not before the next one"
    assert text.count(SLOW_DOWN) == 1 and text.count(DETAINER_TITLE) == 1
    assert text.count(greeting) == 2  # the "hello" that brought the note was superseded, not answered


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal: Linux and macOS")
def test_the_terminal_does_not_echo_while_a_held_message_waits_and_echoes_again_after():
    import pty
    import termios

    from bot.channels.console import _no_echo

    typist, terminal = pty.openpty()
    with os.fdopen(terminal, "r", encoding="utf-8") as lines:
        before = termios.tcgetattr(terminal)
        assert before[3] & termios.ECHO
        with contextlib.suppress(KeyboardInterrupt), _no_echo(lines):
            assert not termios.tcgetattr(terminal)[3] & termios.ECHO
            raise KeyboardInterrupt  # Ctrl-C while waiting
        assert termios.tcgetattr(terminal) == before
    os.close(typist)


def test_a_reply_without_a_hold_ends_the_wait_for_an_older_held_message():
    # /delete (never held back) and a newer answered message both mean: nothing held is answered later,
    # so the prompt does not wait for it.
    clock = Clock()
    console, out = chat(clock)
    for line in ("/start", "hello", "hello", "hello", "what is an ice detainer"):
        console.show(console.handle_line(line))
    assert console._held is not None
    console.show(console.handle_line("/delete"))
    assert console._held is None
    clock.now += 30
    console.release_held(quiet=True)
    assert DETAINER_TITLE not in out.getvalue()


def test_a_stream_whose_terminal_settings_cannot_be_read_is_left_as_it_is():
    from bot.channels.console import _no_echo

    read_fd, write_fd = os.pipe()  # not a terminal: termios cannot read its settings
    with os.fdopen(read_fd, "r", encoding="utf-8") as lines, _no_echo(lines):
        pass
    os.close(write_fd)
