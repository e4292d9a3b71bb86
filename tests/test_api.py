"""The public surface: __all__ is complete and sorted, the layers import in one direction."""

from __future__ import annotations

import ast
from pathlib import Path

import portal_archive

SRC = Path(portal_archive.__file__).parent


def test_all_is_sorted_and_exported() -> None:
    names = portal_archive.__all__
    assert names == sorted(names, key=lambda n: (n.startswith("_"), n.lower()))[
        : len(names)
    ] or names == sorted(names)
    for name in names:
        assert hasattr(portal_archive, name), name


def test_extract_is_importable_from_the_package() -> None:
    from portal_archive import extract

    article = extract(
        b"<html><body><h1>Heading here</h1><p>" + b"Some body text. " * 5 + b"</p></body></html>"
    )
    assert article.title == "Heading here" and article.to_dict()["paragraphs"]


def _imports(module: Path) -> set[str]:
    tree = ast.parse(module.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found


def test_stage_modules_keep_their_layers() -> None:
    imports = {path.stem: _imports(path) for path in SRC.glob("*.py")}
    assert "httpx" not in imports["extract"] and "selectolax" not in imports["fetch"]
    assert not {"httpx", "selectolax"} & imports["archive"]
    for low in ("models", "errors", "urls", "settings"):
        assert not {"fetch", "extract", "archive", "crawl", "cli"} & imports[low], low
    for stage in ("fetch", "extract", "archive"):
        assert not {"crawl", "cli"} & imports[stage], stage
    assert "cli" not in imports["crawl"]


def test_library_never_prints() -> None:
    for path in SRC.glob("*.py"):
        if path.stem in {"cli", "__main__"}:
            continue
        tree = ast.parse(path.read_text("utf-8"))
        calls = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
        ]
        assert not calls, f"{path.name} prints"
