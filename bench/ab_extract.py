"""Interleaved A/B of ``extract()``: the working tree's code against a git revision's, in one
process, page by page, in CPU time.

    python bench/ab_extract.py a315f52              # 3 rounds over the whole corpus
    python bench/ab_extract.py HEAD~1 --rounds 6

On a shared 2-core machine two separate runs differ by ±15 %, more than most changes are
worth; two versions alternating page by page in one process see the same machine. The
revision's ``src/portal_archive`` is exported with ``git archive`` and imported as the
package ``pa_old`` (the package imports itself relatively). Both read profile TOML files
from the installed ``portal_archive``, which matters only for pages a profile owns. Each
round alternates which version goes first. The speedup printed is old CPU time divided by
new. Pages are the four HTML sets of ``../shared/corpus`` (see ``eval_extract.py``), with
the URLs that benchmark passes and a fixed fetch time. Skips cleanly without the corpus.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import importlib
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).parent))
import eval_extract  # noqa: E402  (the corpus loaders)

from portal_archive import ParseError, extract  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FETCHED = datetime(2026, 1, 1, tzinfo=UTC)
SUBDIRS = {
    "trafilatura_eval": "trafilatura_eval",
    "readability": "readability_testpages",
    "newspaper4k": "newspaper4k_tests",
    "goose3": "goose3_tests",
}


def pages(corpus: Path) -> list[tuple[bytes, str | None]]:
    found = []
    for name, loader in eval_extract.LOADERS.items():
        if (corpus / SUBDIRS[name]).is_dir():
            for case in loader(corpus / SUBDIRS[name]):
                with gzip.open(case.path, "rb") as fh:
                    found.append((fh.read(), case.url))
    return found


def old_package(revision: str, into: Path) -> ModuleType:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "src/portal_archive"],
        check=True,
        capture_output=True,
    ).stdout
    tar_path = into / "old.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(into, filter="data")
    (into / "src" / "portal_archive").rename(into / "pa_old")
    sys.path.insert(0, str(into))
    return importlib.import_module("pa_old")


def cpu(fn: Callable[..., object], error: type[Exception], data: bytes, url: str | None) -> float:
    start = time.process_time()
    with contextlib.suppress(error):  # a page with no article costs its time too
        fn(data, url=url, fetched_at=FETCHED)
    return time.process_time() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revision", help="the old code: any git revision")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus}: skipped")
        return 0
    corpus = pages(args.corpus)
    with tempfile.TemporaryDirectory() as tmp:
        old = old_package(args.revision, Path(tmp))
        old_extract, old_error = old.extract, old.ParseError
        for data, url in corpus[:20]:  # warm-up: lazy imports and caches, not timed
            cpu(old_extract, old_error, data, url)
            cpu(extract, ParseError, data, url)
        total_old = total_new = 0.0
        for r in range(args.rounds):
            t_old = t_new = 0.0
            for i, (data, url) in enumerate(corpus):
                if (i + r) % 2:
                    t_old += cpu(old_extract, old_error, data, url)
                    t_new += cpu(extract, ParseError, data, url)
                else:
                    t_new += cpu(extract, ParseError, data, url)
                    t_old += cpu(old_extract, old_error, data, url)
            total_old += t_old
            total_new += t_new
            print(f"round {r}: old {t_old:.2f} s, new {t_new:.2f} s: {t_old / t_new:.3f}×")
    print(
        f"{len(corpus)} pages × {args.rounds} rounds: old {total_old:.2f} s, new "
        f"{total_new:.2f} s CPU; new is {total_old / total_new:.3f}× as fast as {args.revision}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
