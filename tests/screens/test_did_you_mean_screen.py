"""The "did you mean" screen: when its first option is likely (LIKELY_AT, about nine in ten right), the
text asks whether the first is meant; otherwise it says the bot is not sure. The options, "None of
these" and the emergency row are the same either way."""

from __future__ import annotations

import pytest

from bot.matching.matcher import LIKELY_AT, SUGGEST_AT, Alternative
from testkit.chat import CONV, LANGS, label, labels, plain, ui

IDS = ("ice-at-door", "remain-silent", "judicial-warrant")


def screen(first_score: float, lang: str):
    options = (Alternative(IDS[0], first_score), *(Alternative(i, first_score / 10) for i in IDS[1:]))
    return CONV.screens.did_you_mean(options, lang)


@pytest.mark.parametrize("lang", LANGS)
def test_a_likely_first_option_is_pointed_to_and_an_unsure_one_is_not(lang):
    likely, unsure = screen(LIKELY_AT, lang), screen(LIKELY_AT - 0.1, lang)
    assert plain(likely).startswith(ui("likely", lang)) and ui("unsure", lang) not in plain(likely)
    assert plain(unsure).startswith(ui("unsure", lang)) and ui("likely", lang) not in plain(unsure)
    assert plain(screen(SUGGEST_AT, lang)).startswith(ui("unsure", lang))
    for reply in (likely, unsure):
        assert labels(reply) == [*(label(i, lang) for i in IDS), ui("none of these", lang), ui("emergency", lang)]
        assert reply.lang == lang
