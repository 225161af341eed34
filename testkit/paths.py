"""Where things are in the checkout, for tests and benchmarks (the one definition of ``ROOT``)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository: pyproject.toml, bot/, knowledge/, tests/
KNOWLEDGE = ROOT / "knowledge"
LOCALES = ROOT / "locales"
TEST_DATA = ROOT / "tests" / "data"
BENCHMARK_DATA = ROOT / "benchmarks" / "data"
