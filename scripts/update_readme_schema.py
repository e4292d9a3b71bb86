"""Rewrite the schema block of README.md from a freshly migrated archive.

    .venv/bin/python scripts/update_readme_schema.py

tests/test_docs.py fails when the README's block differs from the real schema.
"""

from __future__ import annotations

import re
from pathlib import Path

from portal_archive import Archive
from portal_archive._schema import schema_sql

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"(<!-- schema:start -->\n```sql\n)(.*?)(```\n<!-- schema:end -->)", re.S)


def main() -> None:
    archive = Archive.memory()
    text = README.read_text("utf-8")
    if not BLOCK.search(text):
        raise SystemExit("README.md has no <!-- schema:start --> block")
    README.write_text(
        BLOCK.sub(lambda m: m.group(1) + schema_sql(archive.conn) + m.group(3), text), "utf-8"
    )


if __name__ == "__main__":
    main()
