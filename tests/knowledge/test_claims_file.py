"""``knowledge/claims.yaml`` (claims seen circulating): every mistake a writer can make is reported as
``file:line: problem`` by ``load_knowledge`` and by ``kyr-bot check``, and a broken file stops the load."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeError, load_knowledge
from testkit.paths import ROOT

KYR_BOT = Path(sys.executable).with_name("kyr-bot")

CLAIM = """\
- id: sample-claim
  verdict: unverified
  checked: 2026-11-30
  sources:
    - title: "A newspaper: a story about the claim (November 30, 2026)"
      name: {en: "A newspaper", es: "Un periódico (en inglés)"}
      url: https://example.org/story
  en:
    claim: "Something is happening everywhere."
    phrasings:
      - something is happening everywhere tonight
      - they say it is happening everywhere
      - is it true that something happens everywhere
    known: "Nobody could confirm it."
  es:
    claim: "Algo está pasando en todas partes."
    phrasings:
      - algo esta pasando en todas partes hoy
      - dicen que pasa
      - es cierto que algo pasa en todas partes
    known: "Nadie lo pudo confirmar."
"""

# name: (old text, new text, the text on the line the problem must be reported at (or that text and which
# of its lines), words in the message)
BREAKAGES = {
    "verdict": ("verdict: unverified", "verdict: fake", "verdict: fake", ["verdict", "false, unverified, context"]),
    "date": ("checked: 2026-11-30", "checked: last week", "checked: last week", ["checked", "date"]),
    "impossible-date": ("checked: 2026-11-30", "checked: 2026-02-30", "checked: 2026-02-30", ["checked"]),
    "no-source": (
        '    - title: "A newspaper: a story about the claim (November 30, 2026)"\n'
        '      name: {en: "A newspaper", es: "Un periódico (en inglés)"}\n'
        "      url: https://example.org/story\n",
        "",
        "  sources:",
        ["source"],
    ),
    "few-phrasings": (
        "      - dicen que pasa\n",
        "",
        ("phrasings:", 2),
        ["es.phrasings", "at least 3"],
    ),
    "empty-known": (
        '    known: "Nobody could confirm it."',
        '    known: ""',
        'known: ""',
        ["en.known", "missing or empty"],
    ),
    "unknown-key": ("  verdict: unverified\n", "  verdict: unverified\n  verdikt: true\n", "verdikt", ["unknown key"]),
    "bad-id": ("- id: sample-claim", "- id: Sample Claim", "- id: Sample Claim", ["id"]),
    "no-spanish": (CLAIM[CLAIM.index("  es:\n") :], "", "- id: sample-claim", ["no 'es' block"]),
}


def with_claim(tmp_path: Path, text: str) -> Path:
    kb_dir = tmp_path / "kb"
    shutil.copytree(ROOT / "knowledge", kb_dir)
    path = kb_dir / "claims.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")
    return kb_dir


def test_a_valid_claim_loads_with_its_verdict_date_and_texts(tmp_path):
    kb = load_knowledge(with_claim(tmp_path, CLAIM))
    claim = next(c for c in kb.claims if c.id == "sample-claim")
    assert claim.verdict == "unverified" and str(claim.checked) == "2026-11-30"
    assert claim.texts["es"].known == "Nadie lo pudo confirmar."
    assert [s.url for s in claim.sources] == ["https://example.org/story"]


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_each_mistake_is_reported_at_its_line(tmp_path, name):
    old, new, needle, words = BREAKAGES[name]
    assert CLAIM.count(old) == 1
    kb_dir = with_claim(tmp_path, CLAIM.replace(old, new))
    path = kb_dir / "claims.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index("- id: sample-claim") if name != "bad-id" else lines.index("- id: Sample Claim")
    needle, nth = needle if isinstance(needle, tuple) else (needle, 1)
    line = [i for i, text in enumerate(lines, start=1) if i > start and needle in text][nth - 1]
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kb_dir)
    at_line = [p for p in info.value.problems if p.path == path and p.line == line]
    assert at_line, [str(p) for p in info.value.problems]
    for word in words:
        assert word in at_line[0].message, (word, at_line[0].message)


def test_a_duplicate_claim_id_is_reported(tmp_path):
    kb_dir = with_claim(tmp_path, CLAIM + "\n" + CLAIM)
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kb_dir)
    assert any("duplicate claim id 'sample-claim'" in p.message for p in info.value.problems)


def test_kyr_bot_check_names_the_file_and_line(tmp_path):
    kb_dir = with_claim(tmp_path, CLAIM.replace("verdict: unverified", "verdict: fake"))
    env = dict(os.environ, KYR_KNOWLEDGE_DIR=str(kb_dir))
    result = subprocess.run(
        [str(KYR_BOT), "check", "--no-reading-level"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode != 0
    line = next(i for i, t in enumerate((kb_dir / "claims.yaml").read_text().splitlines(), 1) if "verdict: fake" in t)
    assert f"claims.yaml:{line}:" in result.stdout + result.stderr


def test_no_claims_file_means_no_claims(tmp_path):
    kb_dir = tmp_path / "kb"
    shutil.copytree(ROOT / "knowledge", kb_dir)
    (kb_dir / "claims.yaml").unlink()
    assert load_knowledge(kb_dir).claims == ()
