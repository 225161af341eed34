"""Reading level of every answer, for ``kyr-bot check`` (warnings only, never errors).

English uses the Flesch-Kincaid grade (warn above grade 8); Spanish uses the Fernández-Huerta index
(warn below 70, "fairly easy"), both as computed by textstat 0.7.8 (pinned: later versions need NLTK
data at run time, which is not there offline). textstat is imported here only: it costs about 2 s.
"""

from __future__ import annotations

import re

from bot.knowledge.model import KnowledgeBase
from bot.yamlfile import LineDict, Problem, load_yaml

MAX_GRADE_EN = 8.0
MIN_EASE_ES = 70.0
_NOISE = re.compile(r"\{[^}]*\}|https?://\S+|\S+@\S+|[•·]")


def reading_level_warnings(kb: KnowledgeBase) -> list[Problem]:
    """One warning per answer that reads harder than the limits above; other languages are not scored."""
    import textstat

    out: list[Problem] = []
    for entry in kb.entries.values():
        if entry.kind != "answer":
            continue
        path = kb.directory / "entries" / f"{entry.id}.yaml"
        data = load_yaml(path, [])
        for lang, text in entry.texts.items():
            plain = _NOISE.sub(" ", text.answer)
            block = data.get(lang) if isinstance(data, LineDict) else None
            line = block.line_of("answer") if isinstance(block, LineDict) else 1
            if lang == "en":
                textstat.set_lang("en")
                grade = textstat.flesch_kincaid_grade(plain)
                if grade > MAX_GRADE_EN:
                    out.append(
                        Problem(path, line, f"en.answer reads at grade {grade:.1f} (aim for {MAX_GRADE_EN:.0f})")
                    )
            elif lang == "es":
                textstat.set_lang("es")
                ease = textstat.fernandez_huerta(plain)
                if ease < MIN_EASE_ES:
                    out.append(
                        Problem(
                            path, line, f"es.answer scores {ease:.0f} Fernández-Huerta (aim for {MIN_EASE_ES:.0f}+)"
                        )
                    )
    return out
