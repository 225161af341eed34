"""Build kyr-bot's wheel and install it into a fresh virtual environment: fast, and without network.

Used by tests/e2e/test_install.py and tests/e2e/test_deploy.py. The trick that keeps it to a few seconds:

- The wheel is built from a copy of the working tree (so a stale ``build/`` folder cannot leak into it)
  with ``pip wheel --no-build-isolation --no-deps --no-index``: this environment's setuptools (the test
  extra pins ``setuptools>=77``) does the build, nothing is downloaded.
- The fresh venv is made without pip (``venv.EnvBuilder(with_pip=False)``, well under a second). A
  ``.pth`` file in its site-packages lists the running interpreter's site-packages folders, so the
  dependencies (python-telegram-bot, rapidfuzz, PyYAML, Babel) are importable without installing them
  again. Those folders come *after* the venv's own site-packages, and a folder named in a ``.pth`` file
  has its own ``.pth`` files ignored, so the editable install of this checkout stays invisible: ``bot``
  is imported from the wheel.
- The wheel goes in with the running pip, pointed at the new interpreter
  (``pip --python VENV/bin/python install --no-deps --no-index WHEEL``), which writes the ``kyr-bot``
  console script and byte-compiles the package, as ``pip install`` in the Docker image does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from testkit.paths import ROOT

# Not copied into the build tree: virtual environments, VCS data, build output and caches.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv*", "venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "*.pyc"
)
# Settings from the developer's shell that would point the installed bot back at this checkout.
_CHECKOUT_VARS = ("KYR_KNOWLEDGE_DIR", "KYR_LOCALES_DIR", "KYR_DATA_DIR", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
_cache: dict[str, InstalledBot] = {}


@dataclass(frozen=True)
class InstalledBot:
    """A virtual environment with the kyr-bot wheel installed, and a scratch folder outside the repository."""

    wheel: Path
    venv: Path
    workdir: Path

    @property
    def bin(self) -> Path:
        """The venv's scripts folder."""
        return self.venv / ("Scripts" if os.name == "nt" else "bin")

    @property
    def python(self) -> Path:
        """The venv's interpreter."""
        return self.bin / ("python.exe" if os.name == "nt" else "python")

    @property
    def kyr_bot(self) -> Path:
        """The ``kyr-bot`` console script that installing the wheel created."""
        return self.bin / ("kyr-bot.exe" if os.name == "nt" else "kyr-bot")

    def env(self, **extra: str) -> dict[str, str]:
        """A clean environment for the installed bot: the venv first on PATH, no checkout settings."""
        env = {k: v for k, v in os.environ.items() if k not in _CHECKOUT_VARS}
        env.update(
            PATH=f"{self.bin}{os.pathsep}{env.get('PATH', '')}",
            PYTHONIOENCODING="utf-8",
            LANG="C.UTF-8",
        )
        env.update(extra)
        return env

    def run(
        self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess:
        """Run the installed ``kyr-bot`` with ``args`` from the scratch folder; output is captured as text."""
        return self.run_program([str(self.kyr_bot), *args], env=env, cwd=cwd)

    def run_python(self, script: str) -> subprocess.CompletedProcess:
        """Run ``script`` with the venv's interpreter from the scratch folder."""
        return self.run_program([str(self.python), "-c", script])

    def run_program(
        self, argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess:
        """Run ``argv`` (from the scratch folder, the venv's environment, unless told otherwise)."""
        return subprocess.run(
            argv,
            cwd=cwd or self.workdir,
            env=env or self.env(),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
        )


def build_wheel(
    dest: Path, sources: Sequence[str] | None = None, before_build: Callable[[Path], None] | None = None
) -> Path:
    """Build kyr-bot's wheel into ``dest`` from a copy of the working tree; return the wheel's path.

    ``sources`` (paths relative to the repository) limits the copy to those files and folders, as a
    Dockerfile's ``COPY`` lines do; by default the whole tree is copied, as ``pip install .`` sees it.
    ``before_build`` is given the copy before the wheel is built (e.g. to put a fitted model in it, as
    ``kyr-bot train`` does before a release build).
    """
    src = dest / "src"
    if sources is None:
        shutil.copytree(ROOT, src, ignore=_NOT_SOURCE)
    else:
        for name in sources:
            path = ROOT / name
            if path.is_dir():
                shutil.copytree(path, src / name, ignore=_NOT_SOURCE)
            else:
                (src / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, src / name)
    if before_build is not None:
        before_build(src)
    out = dest / "wheels"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index", "-q"]
        + ["--wheel-dir", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("kyr_bot-*.whl")
    return wheel


def make_venv(path: Path) -> Path:
    """A venv without pip whose interpreter also sees the running interpreter's packages (see module doc)."""
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(path)
    python = path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (Path(purelib) / "_kyr_test_parent_env.pth").write_text("".join(f"{p}\n" for p in ours), encoding="utf-8")
    return python


def install_wheel(python: Path, wheel: Path) -> None:
    """Install ``wheel`` into the environment of ``python`` with the running pip, no dependencies."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q"]
        + ["--no-deps", "--no-index", "--no-cache-dir", str(wheel)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def installed_bot(tmp_path_factory: pytest.TempPathFactory, sources: Sequence[str] | None = None) -> InstalledBot:
    """The wheel (see :func:`build_wheel`) built and installed once per test session and set of sources."""
    key = "\0".join(sources) if sources is not None else ""
    if key not in _cache:
        base = tmp_path_factory.mktemp("installed")
        wheel = build_wheel(base, sources)
        python = make_venv(base / "venv")
        install_wheel(python, wheel)
        workdir = base / "work"
        workdir.mkdir()
        _cache[key] = InstalledBot(wheel=wheel, venv=base / "venv", workdir=workdir)
    return _cache[key]
