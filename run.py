#!/usr/bin/env python3
"""The two quick-start commands, self-sufficient on a fresh machine with Python 3.11+.

    python3 run.py demo     # set up, crawl the offline mirror into data/archive.db, show queries
    python3 run.py test     # set up, run the test suite (extra arguments go to pytest)
    python3 run.py setup    # only set up
    python3 run.py ARGS...  # anything else runs `portal-archive ARGS...` in the environment

Setting up means: a virtual environment in .venv, with this project installed (editable)
and its test extras. It is redone only when pyproject.toml changes. Only the standard
library is used here, because nothing else can be assumed before the setup has run.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".portal-archive-installed"


def _venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def _say(message: str) -> None:
    print(f"run.py: {message}", file=sys.stderr, flush=True)


def _create_venv() -> None:
    _say(f"creating a virtual environment in {VENV}")
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    except (subprocess.CalledProcessError, OSError) as exc:
        # Debian's python3 without python3-venv has no ensurepip: make the venv without pip
        # and drive the system pip into it, if there is one.
        _say(f"venv with pip failed ({exc}); trying without pip")
        venv.EnvBuilder(with_pip=False, clear=True).create(VENV)


def _pip(*args: str) -> None:
    python = _venv_python()
    has_pip = (
        subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True).returncode == 0
    )
    if has_pip:
        command = [str(python), "-m", "pip", *args]
    else:
        command = [sys.executable, "-m", "pip", "--python", str(python), *args]
    subprocess.run(command, check=True)


def ensure_environment() -> Path:
    """Create .venv and install the project into it unless that is already done."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not _venv_python().exists():
        _create_venv()
    if not STAMP.exists() or STAMP.read_text().strip() != wanted:
        _say("installing portal-archive and its test dependencies (once)")
        _pip("install", "--quiet", "--disable-pip-version-check", "-e", f"{ROOT}[test]")
        STAMP.write_text(wanted + "\n")
    return _venv_python()


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__.strip())
        return 0 if argv else 2
    python = ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "setup":
        return 0
    if command == "test":
        return subprocess.run([str(python), "-m", "pytest", *rest], cwd=ROOT).returncode
    rest = ["demo", *rest] if command == "demo" else argv
    env = {**os.environ, "PORTAL_ARCHIVE_LAUNCHER": "python3 run.py"}
    return subprocess.run(
        [str(python), "-m", "portal_archive", *rest], cwd=ROOT, env=env
    ).returncode


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except subprocess.CalledProcessError as exc:
        _say(f"setup failed: {' '.join(map(str, exc.cmd))} exited {exc.returncode}")
        sys.exit(2)
