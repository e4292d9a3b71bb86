"""Footer-fact accuracy on real pages of the shared corpus (issue 3: footer facts ≥ 0.95).

The expected facts are written by hand in ``bench/footer_facts.json``, each case noting its
source page. A case is either an HTML page run through the whole extractor (the footer found
by the generic rules, then named) or, where only a page's visible text exists (the sichuan
captures), its footer lines given to the footer parser. A fact is right only when our value
equals the expected one exactly.

    python bench/eval_footer.py                    # the per-field and per-page tables
    python bench/eval_footer.py --corpus DIR       # another corpus folder

Counts: "right" (same value), "wrong" (another value), "missed" (field absent), and "false"
(a field we give that the page does not state). Accuracy = right / expected facts; false
facts are shown apart, since a guessed fact is as bad as a missed one. With no corpus folder
it prints "corpus not found: skipped" and exits 0.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from portal_archive import ParseError, extract  # noqa: E402
from portal_archive._footer import parse_footer  # noqa: E402
from portal_archive._html import visible_lines  # noqa: E402
from portal_archive.extract import Document  # noqa: E402

FACTS = ROOT / "bench" / "footer_facts.json"


def footer_of(case: dict[str, Any], corpus: Path, *, tail: bool = False) -> dict[str, str]:
    """Our footer fields for a case. ``tail``: give the parser the page's last 40 visible
    lines instead of the footer the extractor found (tells parsing misses from finding ones)."""
    path = corpus / case["path"]
    if case["kind"] == "html" and tail:
        with gzip.open(path) as handle:
            tree = Document.from_bytes(handle.read()).tree()
        for node in tree.css("script, style, noscript"):
            node.decompose()
        lines = [line.text for line in visible_lines(tree.body)] if tree.body else []
        return parse_footer(lines[-40:])
    if case["kind"] == "html":
        try:
            with gzip.open(path) as handle:
                article = extract(handle.read(), "http://corpus.invalid/page.html")
        except ParseError:
            return {}
        return dict(article.footer)
    if path.suffix == ".json":
        lines = json.loads(path.read_text("utf-8"))["footer_lines"]
    else:  # the seed capture: the footer starts at "Hosted by:"
        text = path.read_text("utf-8").splitlines()
        lines = text[next(i for i, line in enumerate(text) if line.startswith("Hosted by:")) :]
    return parse_footer(line.strip() for line in lines if line.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print("corpus not found: skipped")
        return 0
    cases = json.loads(FACTS.read_text("utf-8"))["cases"]
    per_field: dict[str, Counter[str]] = {}
    rows = []
    for case in cases:
        ours = footer_of(case, args.corpus)
        expected: dict[str, str] = case["facts"]
        tally: Counter[str] = Counter()
        notes = []
        for field, value in expected.items():
            got = ours.get(field)
            outcome = "right" if got == value else ("missed" if got is None else "wrong")
            tally[outcome] += 1
            per_field.setdefault(field, Counter())[outcome] += 1
            if outcome != "right":
                notes.append(f"{field}: {outcome}" + (f" ({got!r})" if got else ""))
        for field in ours.keys() - expected.keys():
            tally["false"] += 1
            per_field.setdefault(field, Counter())["false"] += 1
            notes.append(f"{field}: false ({ours[field]!r})")
        rows.append((case["id"], case["kind"], len(expected), tally, "; ".join(notes)))

    print("| field | expected | right | wrong | missed | false | accuracy |")
    print("|---|---|---|---|---|---|---|")
    total: Counter[str] = Counter()
    for field in sorted(per_field):
        c = per_field[field]
        n = c["right"] + c["wrong"] + c["missed"]
        total.update(c)
        acc = f"{c['right'] / n:.2f}" if n else "n/a"
        print(
            f"| {field} | {n} | {c['right']} | {c['wrong']} | {c['missed']} | "
            f"{c['false']} | {acc} |"
        )
    n = total["right"] + total["wrong"] + total["missed"]
    print(
        f"| **all** | {n} | {total['right']} | {total['wrong']} | {total['missed']} | "
        f"{total['false']} | **{total['right'] / n:.2f}** |"
    )
    tail_right = sum(
        footer_of(case, args.corpus, tail=True).get(field) == value
        for case in cases
        for field, value in case["facts"].items()
    )
    print()
    print(
        f"Footer parser alone, given each HTML page's last 40 visible lines instead of the "
        f"footer the extractor found: {tail_right}/{n} = {tail_right / n:.2f}"
    )
    print()
    print("| page | kind | facts | right | what went wrong |")
    print("|---|---|---|---|---|")
    for case_id, kind, n_facts, tally, notes in rows:
        print(f"| {case_id} | {kind} | {n_facts} | {tally['right']} | {notes or '-'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
