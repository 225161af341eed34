"""Every UI string in the code is in the template and translated; dates follow the reader's language."""

import datetime as dt

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import check_catalogs, format_day, translator
from testkit.paths import ROOT


def test_template_holds_every_string_the_code_uses():
    in_code = {
        msg if isinstance(msg, str) else msg[0]
        for _, _, msg, _, _ in extract_from_dir(ROOT / "bot", method_map=[("**.py", "python")])
    }
    with (ROOT / "locales" / "messages.pot").open("rb") as fh:
        in_template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    assert in_code - in_template == set(), "run pybabel extract and update (see README)"
    assert in_template - in_code == set(), "messages.pot lists strings the code no longer uses"


def test_catalogs_are_complete_and_not_fuzzy():
    assert check_catalogs(("en", "es")) == []


def test_spanish_strings_and_dates():
    assert translator("es").gettext("Share") == "Compartir"
    assert format_day(dt.date(2026, 11, 27), "es") == "27 de noviembre de 2026"
    assert format_day(dt.date(2026, 11, 27), "en") == "November 27, 2026"
