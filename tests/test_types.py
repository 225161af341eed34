"""The package type-checks clean with mypy (settings in pyproject.toml's ``[tool.mypy]``)."""

import subprocess
import sys

from testkit.paths import ROOT


def test_mypy_clean():
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
