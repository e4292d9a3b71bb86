"""What changed between two versions of an article, paragraph by paragraph. Pure functions."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from .models import Article

__all__ = ["DiffLine", "diff_articles"]

_FIELDS = ("title", "published", "updated", "column", "source")


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One line of a readable diff: ``-`` removed, ``+`` added, ``=`` unchanged (folded),
    ``~`` a field that changed (``text`` says which, from what to what)."""

    op: Literal["-", "+", "=", "~"]
    text: str

    def __str__(self) -> str:
        return f"{self.op} {self.text}"


def diff_articles(old: Article, new: Article, *, context: int = 1) -> list[DiffLine]:
    """Field changes, then the paragraphs removed and added, with ``context`` unchanged
    paragraphs around each change and the rest folded into one ``=`` line."""
    lines: list[DiffLine] = []
    old_data, new_data = old.to_dict(), new.to_dict()
    for field in _FIELDS:
        if old_data[field] != new_data[field]:
            lines.append(DiffLine("~", f"{field}: {old_data[field]!r} → {new_data[field]!r}"))
    if old.footer != new.footer:
        lines.append(DiffLine("~", f"footer: {dict(old.footer)!r} → {dict(new.footer)!r}"))
    matcher = difflib.SequenceMatcher(a=old.paragraphs, b=new.paragraphs, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            same = old.paragraphs[i1:i2]
            if len(same) <= 2 * context + 1:
                lines += [DiffLine("=", p) for p in same]
            else:
                head = [] if i1 == 0 else same[:context]
                tail = [] if i2 == len(old.paragraphs) else same[len(same) - context :]
                folded = len(same) - len(head) - len(tail)
                lines += [DiffLine("=", p) for p in head]
                lines.append(DiffLine("=", f"… {folded} unchanged paragraph(s) …"))
                lines += [DiffLine("=", p) for p in tail]
            continue
        lines += [DiffLine("-", p) for p in old.paragraphs[i1:i2]]
        lines += [DiffLine("+", p) for p in new.paragraphs[j1:j2]]
    return lines
