"""The data directory, end to end: language choices survive a restart; a missing directory is created; an
unusable one, a corrupt state file or a failed write warn and keep the bot answering. The real
Application against the Bot API double (testkit/harness.py)."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from bot.runtime.storage import DB_NAME
from testkit.harness import BotHarness, answer_to, ask, detainer_title, text_of


async def choose_spanish(bot: BotHarness, chat: int) -> None:
    menu = await bot.say(chat, "/language", language_code="en")
    done = await bot.press(chat, menu, "L::es", "editMessageText")
    assert "español" in text_of(done)


async def speaks_spanish(bot: BotHarness, chat: int) -> bool:
    reply = await bot.say(chat, "/topics", language_code="en")
    text = text_of(reply)
    assert "Escoja un tema" in text or "Choose a topic" in text
    return "Escoja un tema" in text


def warnings_in(log: str) -> list[str]:
    return [line for line in log.splitlines() if " WARNING " in line or " ERROR " in line]


# ---------------------------------------------------------------------- 4. the data directory
async def test_missing_data_directory_is_created_and_choices_survive_restart(double, tmp_path):
    data = tmp_path / "not" / "yet"
    async with BotHarness(double, data) as bot:
        await choose_spanish(bot, 801)
    assert (data / DB_NAME).is_file()
    async with BotHarness(double, data) as bot:
        assert await speaks_spanish(bot, 801)
        assert not await speaks_spanish(bot, 802)


async def test_unusable_data_directory_warns_and_keeps_choices_in_memory(double, tmp_path, log_text):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    data = blocker / "kyr-bot"  # tests run as root: a path below a regular file is what root cannot use
    async with BotHarness(double, data) as bot:
        await choose_spanish(bot, 811)
        assert await speaks_spanish(bot, 811)
        assert not await speaks_spanish(bot, 812)
        ask(double, 813)
        assert detainer_title() in text_of(await answer_to(double, 813))
    assert blocker.read_text() == "not a directory\n"
    warnings = warnings_in(log_text())
    assert any(str(data) in line and "restart" in line for line in warnings), warnings


def _damaged_sqlite(path: Path, rng: random.Random) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE language (user_id INTEGER PRIMARY KEY, lang TEXT NOT NULL)")
    db.executemany("INSERT INTO language VALUES (?, ?)", [(i, "es" * 200) for i in range(2000)])
    db.commit()
    db.close()
    raw = bytearray(path.read_bytes())
    raw[4096:12288] = rng.randbytes(8192)  # pages 2-3: the header is fine, the tree is not
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("damage", ["random-bytes", "damaged-pages"])
async def test_corrupt_state_file_is_kept_aside_and_bot_starts(double, tmp_path, log_text, damage):
    data = tmp_path / "data"
    data.mkdir()
    state = data / DB_NAME
    rng = random.Random(1234)
    if damage == "random-bytes":
        state.write_bytes(rng.randbytes(20000))
    else:
        _damaged_sqlite(state, rng)
    original = state.read_bytes()

    async with BotHarness(double, data) as bot:
        await choose_spanish(bot, 821)
        assert await speaks_spanish(bot, 821)
        ask(double, 822)
        assert detainer_title() in text_of(await answer_to(double, 822))
    aside = list(data.glob(f"{DB_NAME}.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == original
    warnings = warnings_in(log_text())
    assert any("corrupt" in line.lower() and aside[0].name in line for line in warnings), warnings
    async with BotHarness(double, data) as bot:  # the fresh state file works
        assert await speaks_spanish(bot, 821)


async def test_failed_write_for_one_user_keeps_anothers_saved_choice(double, tmp_path, log_text):
    data = tmp_path / "data"
    async with BotHarness(double, data) as bot:
        await choose_spanish(bot, 831)  # saved
        bot.store._db.execute("PRAGMA query_only = ON")  # from now on every write fails
        await choose_spanish(bot, 832)  # cannot be saved: kept in memory
        assert await speaks_spanish(bot, 832)
        assert await speaks_spanish(bot, 831)
    assert any("Saving a language choice failed" in line for line in warnings_in(log_text()))
    db = sqlite3.connect(data / DB_NAME)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    async with BotHarness(double, data) as bot:
        assert await speaks_spanish(bot, 831)
