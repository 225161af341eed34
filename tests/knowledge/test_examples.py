"""Training examples (``knowledge/examples/*.yaml``): a content editor's mistakes are reported as
``file:line``, and an example teaches the ranker, not the lexical scorer, and changes the model's hash."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeBase, KnowledgeError, load_knowledge
from bot.matching.fitting import training_texts
from bot.matching.matcher import Matcher
from bot.matching.ranker import kb_hash
from testkit.paths import ROOT

GOOD = """\
# a comment
- id: ice-at-door
  en:
    - "they knocked and said they are the police, do I open?"
  es:
    - "tocaron y dicen q son la policia, abro?"
"""


def copy_kb(dest: Path, examples: str | None) -> Path:
    shutil.copytree(ROOT / "knowledge", dest)
    if examples is not None:
        shutil.rmtree(dest / "examples", ignore_errors=True)
        (dest / "examples").mkdir()
        (dest / "examples" / "test.yaml").write_text(examples, encoding="utf-8")
    return dest


def test_the_real_examples_load_and_every_entry_id_exists(kb: KnowledgeBase):
    assert kb.examples, "knowledge/examples/ has examples"
    assert {x.entry_id for x in kb.examples} <= set(kb.entries)
    assert {x.lang for x in kb.examples} and {x.lang for x in kb.examples} <= set(kb.languages)


def test_examples_are_read_with_their_entry_and_language(tmp_path):
    kb = load_knowledge(copy_kb(tmp_path / "kb", GOOD))
    assert [(x.entry_id, x.lang) for x in kb.examples] == [("ice-at-door", "en"), ("ice-at-door", "es")]
    assert kb.examples[1].text == "tocaron y dicen q son la policia, abro?"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (GOOD.replace("id: ice-at-door", "id: ice-at-the-door"), 2, ["'ice-at-the-door'", "not an entry"]),
        (GOOD.replace("  es:", "  fr:"), 5, ["'fr'", "language"]),
        (GOOD.replace('"tocaron y dicen q son la policia, abro?"', '""'), 6, ["empty"]),
        (GOOD.replace('"tocaron y dicen q son la policia, abro?"', "yes"), 6, ["quotes"]),
        (GOOD.replace("  en:\n    - ", "  en: "), 3, ["list"]),
        ("id: ice-at-door\nen: [hello there]\n", 1, ["expected a list"]),
        (GOOD.replace('"tocaron y dicen q son la policia, abro?"', "tocaron: y: dicen"), 6, ["YAML"]),
        (GOOD.replace("id: ice-at-door", "id: [ice-at-door]"), 2, ["not an entry"]),
        (GOOD.replace('"tocaron y dicen q son la policia, abro?"', '"¿¿??"'), 6, ["no words"]),
        ("- id: ice-at-door\n", 1, ["no messages"]),
        # The same words under another entry: a contradiction, named with where the other label is.
        (
            GOOD + '- id: judicial-warrant\n  es:\n    - "Tocaron y dicen Q son la POLICÍA, ¿abro?"\n',
            9,
            ["'ice-at-door'", "test.yaml:6"],
        ),
    ],
)
def test_a_broken_example_is_reported_at_its_line(tmp_path, text, line, words):
    kb_dir = copy_kb(tmp_path / "kb", text)
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kb_dir)
    (problem,) = info.value.problems
    assert (problem.path.name, problem.line) == ("test.yaml", line), str(problem)
    for word in words:
        assert word in problem.message, problem.message


def test_a_yml_file_is_reported_not_ignored(tmp_path):
    kb_dir = copy_kb(tmp_path / "kb", GOOD)
    (kb_dir / "examples" / "more.yml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kb_dir)
    (problem,) = info.value.problems
    assert problem.path.name == "more.yml" and "rename" in problem.message


def test_a_repeated_example_is_a_warning_and_kept_once(tmp_path, kb: KnowledgeBase):
    phrasing = kb.entries["ice-at-door"].text("en").questions[0]
    repeated = '    - "Tocaron y dicen q son la POLICÍA... ¿abro?"\n'
    text = GOOD + repeated + f'- id: ice-at-door\n  en:\n    - "{phrasing}"\n'
    loaded = load_knowledge(copy_kb(tmp_path / "kb", text))
    assert len(loaded.examples) == 2
    assert [w.line for w in loaded.warnings if w.path.name == "test.yaml"] == [7, 10]


def test_examples_teach_the_ranker_only_and_change_its_hash(tmp_path, kb: KnowledgeBase):
    without = load_knowledge(copy_kb(tmp_path / "none", ""))
    with_one = load_knowledge(copy_kb(tmp_path / "one", GOOD))
    matcher = Matcher(with_one, learned=False)
    texts, labels = training_texts(with_one, matcher.prepare)
    assert matcher.prepare("tocaron y dicen q son la policia, abro?") in texts
    assert labels[texts.index(matcher.prepare("tocaron y dicen q son la policia, abro?"))] == "ice-at-door"
    assert len(texts) == len(training_texts(without, matcher.prepare)[0]) + 2
    assert kb_hash(with_one) != kb_hash(without) != kb_hash(kb)
    # The lexical scorer (and so the lexical signal the decision weighs) does not read examples.
    query = "tocaron y dicen q son la policia, abro?"
    lexical_with = Matcher(with_one, learned=False).lexical.scores(matcher.analyzer.analyze(query))
    lexical_without = Matcher(without, learned=False).lexical.scores(matcher.analyzer.analyze(query))
    assert lexical_with == lexical_without


def test_no_example_copies_a_question_of_a_measured_set(kb: KnowledgeBase):
    """A training example word for word equal to a benchmark or test question would make that set's
    figures lie (the blind sets above all). Only the count and the set are reported, never the text."""
    import yaml

    from bot import textnorm

    examples = {" ".join(textnorm.words(x.text)) for x in kb.examples}
    sets = [*(ROOT / "tests" / "data").glob("*_questions.yaml"), *(ROOT / "benchmarks" / "data").glob("*.yaml")]
    assert len(sets) >= 5
    copied = {}
    for path in sets:
        questions = yaml.safe_load(path.read_text(encoding="utf-8"))
        copied[path.name] = sum(" ".join(textnorm.words(q["q"])) in examples for q in questions)
    assert not any(copied.values()), copied
