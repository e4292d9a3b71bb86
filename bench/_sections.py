"""The one way the benchmarks write BENCHMARKS.md: each replaces (or appends) its own section
and leaves every other section as it is."""

from __future__ import annotations

import re
from pathlib import Path

FILE_NOTE = (
    "# Benchmarks\n\nBenchmarks are run by hand; each section gives the command that produced it.\n"
)


def write_section(path: Path, heading: str, section: str) -> None:
    """Put ``section`` (which starts with ``heading``) into the file at ``path``."""
    text = path.read_text(encoding="utf-8") if path.exists() else FILE_NOTE
    if not text.endswith("\n"):
        text += "\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
