"""The README documents every command and every option, and each command has help text."""

from __future__ import annotations

import click
import pytest
import typer

from portal_archive.cli import app

from .conftest import ROOT

README = (ROOT / "README.md").read_text("utf-8")
COMMANDS = typer.main.get_command(app).commands  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_is_documented(name: str) -> None:
    command: click.Command = COMMANDS[name]
    assert command.help and len(command.help) > 20, f"{name} has no help text"
    assert f"### `{name}" in README, f"README has no section for {name}"
    for param in command.params:
        for option in getattr(param, "opts", []):
            if option.startswith("--") and option != "--help":
                assert option in README, f"README does not mention {name} {option}"


def test_readme_quick_start_has_the_two_commands() -> None:
    assert "python3 run.py demo" in README and "python3 run.py test" in README
    assert "python3 run.py test" in (ROOT / ".ci" / "run").read_text("utf-8")


def test_readme_schema_is_the_real_schema() -> None:
    """The README's schema block is generated (scripts/update_readme_schema.py), never typed."""
    from portal_archive import Archive
    from portal_archive._schema import schema_sql

    block = README.split("<!-- schema:start -->\n```sql\n", 1)[1].split("```\n<!-- schema:end -->")[
        0
    ]
    assert block == schema_sql(Archive.memory().conn)
