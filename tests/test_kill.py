"""Crash safety: a crawl killed with SIGKILL at any moment and started again finishes the job
with no article lost, none duplicated and ``PRAGMA integrity_check`` ok.

The pattern is SQLite's own crash test (reliability.md §2.9, R1, R2): a child process runs the
crawl and dies in the middle of it; the parent checks the archive after every kill, resumes,
and compares a signature of the finished archive with a golden, uninterrupted run.

- Named write points: ``PORTAL_ARCHIVE_CRASH_AT=POINT:N`` makes the crawl SIGKILL itself the
  N-th time the archive reaches ``POINT`` (see ``Archive.write_hook`` and ``cli._crash_hook``).
- Random points: the parent SIGKILLs the crawl a random 0-400 ms after the child has opened
  the archive (the first second of a child is Python importing modules, where a kill touches
  nothing), and starts it again on the same archive.
- The soak (``-m slow``): 50 random SIGKILLs on one archive.

Every crawl runs in a subprocess against the offline mirror served on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import ROOT

ARCHIVE_PY = ROOT / "src" / "portal_archive" / "archive.py"
PROFILE = "sichuan-en"

#: Every write point the archive reports to ``write_hook`` (checked against archive.py below).
WRITE_POINTS = (
    "page_saved",
    "article_saved",
    "links_added",
    "failure_recorded",
    "before_commit",
    "after_commit",
)
#: How many times a clean crawl of the mirror reaches each point: 8 listing pages and 28
#: articles, so 36 frontier URLs (page_saved 8, article_saved 28, links_added 36). The crawl
#: commits its finished URLs in groups (crawl.py: up to 64 URLs or 0.5 s each), so there are a
#: few transactions only: begin_crawl, one or more groups, finish_run. ``before_commit:2`` and
#: ``after_commit:2`` are the first group's commit, always reached; ``after_commit:1`` is
#: begin_crawl's (a run opened, nothing fetched). No URL of the mirror fails, so
#: ``failure_recorded`` gets its own test (8 URLs that 404). The rest runs with ``-m slow``;
#: a combination a clean crawl never reaches is skipped after checking the archive is golden.
_DEFAULT_COMBOS = {
    ("page_saved", 7),
    ("article_saved", 7),
    ("links_added", 7),
    ("before_commit", 2),
    ("after_commit", 2),
    ("after_commit", 1),
}
NAMED_COMBOS = [
    pytest.param(
        point,
        n,
        id=f"{point}:{n}",
        marks=() if (point, n) in _DEFAULT_COMBOS else (pytest.mark.slow,),
    )
    for point in WRITE_POINTS
    for n in (1, 2, 7, 30)
] + [pytest.param("any", n, id=f"any:{n}", marks=pytest.mark.slow) for n in (1, 2, 50, 100)]

KILLED = -signal.SIGKILL
CRAWL_TIMEOUT_S = 120
RANDOM_KILL_WINDOW_S = 0.4
#: An article about "social work", found by `search social` once archived.
_SOCIAL = (
    "https://www.sc.gov.cn/10462/10758/10760/10765/2025/1/6/5c1d3f0e8a7b4b2c9e6f1a2b3c4d5e6f.shtml"
)
MISSING_URLS = [
    f"https://www.sc.gov.cn/10462/10758/10760/10765/2099/1/{d}/{d}0dead0{d}.shtml"
    for d in range(1, 9)
]

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="kills a subprocess and watches /proc"
)


# -- running the crawl ---------------------------------------------------------------------------


def _env(crash_at: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_ARCHIVE_")}
    if crash_at is not None:
        env["PORTAL_ARCHIVE_CRASH_AT"] = crash_at
    return env


def _crawl_cmd(db: Path, url: str, *, delay: str = "0", urls: Path | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "portal_archive", "crawl", PROFILE, "--db", str(db)]
    cmd += ["--base-url", url, "--allow-private-networks", "--delay", delay]
    if urls is not None:
        cmd += ["--urls", str(urls)]
    return cmd


def _run(
    cmd: list[str], *, crash_at: str | None = None, cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd,
        env=_env(crash_at),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT_S,
        check=False,
    )


def _spawn(cmd: list[str], *, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cmd,
        env=_env(),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _resume(
    cmd: list[str], db: Path, *, cwd: Path, final_codes: tuple[int, ...] = (0,)
) -> tuple[list[subprocess.CompletedProcess[str]], int]:
    """Run the crawl again, without a crash point, until it exits with one of ``final_codes``
    (at most 3 times). Returns the runs and how many of them opened a row in ``runs``."""
    done: list[subprocess.CompletedProcess[str]] = []
    began = 0
    for _ in range(3):
        before = _count_runs(db)
        result = _run(cmd, cwd=cwd)
        began += _count_runs(db) - before
        done.append(result)
        if result.returncode in final_codes:
            return done, began
        assert result.returncode != KILLED, "a run without a crash point was killed"
    outputs = "\n".join(f"exit {r.returncode}: {r.stdout}{r.stderr}" for r in done)
    pytest.fail(f"the crawl did not finish in 3 runs after a kill:\n{outputs}")


def _archive_open_by(pid: int, db: Path) -> bool:
    """True once process ``pid`` holds the archive file open (it is past its imports)."""
    target = str(db.resolve())
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                return True
        except OSError:
            continue
    return False


def _kill_at_random(
    proc: subprocess.Popen[str], db: Path, rng: random.Random
) -> tuple[bool, float]:
    """SIGKILL ``proc`` a random 0-400 ms after it opened the archive, unless it ended first.
    Returns (killed, delay)."""
    deadline = time.monotonic() + CRAWL_TIMEOUT_S
    while proc.poll() is None and not _archive_open_by(proc.pid, db):
        assert time.monotonic() < deadline, "the crawl never opened the archive"
        time.sleep(0.002)
    delay = rng.uniform(0.0, RANDOM_KILL_WINDOW_S)
    time.sleep(delay)
    killed = False
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        killed = True
    out, err = proc.communicate(timeout=CRAWL_TIMEOUT_S)
    if killed and proc.returncode != KILLED:
        # It ended by itself between poll() and kill(): a finished run.
        killed = False
    if not killed:
        assert proc.returncode == 0, f"exit {proc.returncode}: {out}{err}"
    return killed, delay


# -- reading the archive -------------------------------------------------------------------------


def _connect(db: Path) -> sqlite3.Connection:
    # Read-only: the checks must not checkpoint or recover anything the next crawl should see.
    return sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)


def _count_runs(db: Path) -> int:
    if not db.exists():
        return 0
    conn = _connect(db)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "runs" not in tables:
            return 0
        return int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])
    finally:
        conn.close()


@dataclass(frozen=True)
class Snapshot:
    """What the crash tests compare: a signature of the archive, and its health."""

    integrity: list[str]
    foreign_key_errors: list[tuple[object, ...]]
    articles: dict[str, tuple[str, int]]  # url -> (content_hash, version)
    versions: list[tuple[str, int]]  # (url, version), one per article_versions row
    pages: list[tuple[str, str]]  # (url, sha256), one per pages row
    frontier: dict[str, tuple[str, str]]  # url -> (kind, state)
    runs: list[tuple[int, str | None, int | None, str | None]]
    errors: list[str]  # crawl_errors urls

    @property
    def page_shas(self) -> dict[str, set[str]]:
        shas: dict[str, set[str]] = {}
        for url, sha in self.pages:
            shas.setdefault(url, set()).add(sha)
        return shas

    @property
    def pending(self) -> list[str]:
        return sorted(u for u, (_, state) in self.frontier.items() if state == "pending")

    @property
    def interrupted_runs(self) -> int:
        return sum(1 for run in self.runs if _is_interrupted(run[3]))


def _is_interrupted(report: str | None) -> bool:
    return report is not None and json.loads(report) == {"interrupted": True}


def _resumed(snap: Snapshot, index: int) -> bool:
    """Whether the index-th run (0-based) resumed an interrupted crawl, from its report."""
    report = snap.runs[index][3]
    assert report is not None, snap.runs
    return bool(json.loads(report)["resumed"])


def _snapshot(db: Path) -> Snapshot:
    conn = _connect(db)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        fk = [tuple(r) for r in conn.execute("PRAGMA foreign_key_check")]
        if "frontier" not in tables:  # killed before (or while) the schema was made
            return Snapshot(integrity, fk, {}, [], [], {}, [], [])
        return Snapshot(
            integrity=integrity,
            foreign_key_errors=fk,
            articles={
                url: (content_hash, version)
                for url, content_hash, version in conn.execute(
                    "SELECT url, content_hash, version FROM articles"
                )
            },
            versions=[
                (r[0], r[1])
                for r in conn.execute(
                    "SELECT a.url, v.version FROM article_versions v"
                    " JOIN articles a ON a.id = v.article_id"
                )
            ],
            pages=[(r[0], r[1]) for r in conn.execute("SELECT url, sha256 FROM pages")],
            frontier={
                url: (kind, state)
                for url, kind, state in conn.execute(
                    "SELECT url, kind, state FROM frontier WHERE site = ?", [PROFILE]
                )
            },
            runs=[
                tuple(r)
                for r in conn.execute(
                    "SELECT id, finished_at, exit_code, report FROM runs"
                    " WHERE site = ? ORDER BY id",
                    [PROFILE],
                )
            ],
            errors=[r[0] for r in conn.execute("SELECT url FROM crawl_errors")],
        )
    finally:
        conn.close()


# -- the checks ----------------------------------------------------------------------------------


def _assert_healthy(snap: Snapshot, *, first_crawl: bool = True) -> None:
    """What must hold at every instant, killed or not."""
    assert snap.integrity == ["ok"], snap.integrity
    assert snap.foreign_key_errors == []
    duplicated_versions = [k for k, n in Counter(snap.versions).items() if n > 1]
    assert duplicated_versions == []
    duplicated_pages = [k for k, n in Counter(snap.pages).items() if n > 1]
    assert duplicated_pages == []
    # Each URL is finished in one transaction: done means its page (and article) are there.
    shas = snap.page_shas
    for url, (kind, state) in snap.frontier.items():
        if state == "done" and kind in ("listing", "article"):
            assert url in shas, f"{url} is done but its page is not stored"
        if state == "done" and kind == "article":
            assert url in snap.articles, f"{url} is done but its article is not stored"
    if first_crawl:
        # ... and an article stored means its URL was finished (not left pending).
        for url in snap.articles:
            assert snap.frontier.get(url, ("article", "done"))[1] == "done", url


def _assert_like_golden(
    snap: Snapshot, golden: Snapshot, *, more_pages: frozenset[str] = frozenset()
) -> None:
    """The finished archive holds exactly what an uninterrupted run stores (plus the pages of
    ``more_pages``, URLs the golden run did not visit)."""
    _assert_healthy(snap, first_crawl=False)
    lost = sorted(set(golden.articles) - set(snap.articles))
    extra = sorted(set(snap.articles) - set(golden.articles))
    assert lost == [], f"{len(lost)} articles lost"
    assert extra == [], f"{len(extra)} articles that an uninterrupted run does not store"
    assert snap.articles == golden.articles  # same content_hash, and every one version 1
    assert {v for _, v in snap.articles.values()} == {1}
    assert len(snap.versions) == len(golden.versions) == len(golden.articles)
    assert sorted(snap.versions) == sorted(golden.versions)
    shas = {url: s for url, s in snap.page_shas.items() if url not in more_pages}
    assert shas == golden.page_shas
    assert len([u for u, _ in snap.pages if u not in more_pages]) == len(golden.pages)
    assert snap.pending == []


def _assert_runs(snap: Snapshot, *, began: int, interrupted: int) -> None:
    """One row per process that opened a run; every interrupted one marked so; all finished."""
    assert len(snap.runs) == began, snap.runs
    assert snap.interrupted_runs == interrupted, snap.runs
    assert all(finished is not None for _, finished, _, _ in snap.runs), snap.runs
    last = snap.runs[-1]
    assert not _is_interrupted(last[3])
    assert last[2] == 0


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mirror(mirror_url: str) -> str:
    """conftest's session-wide mirror server, under this module's name for it."""
    return mirror_url


@pytest.fixture(scope="module")
def golden(mirror: str, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """One uninterrupted crawl of the mirror."""
    work = tmp_path_factory.mktemp("golden")
    db = work / "golden.db"
    result = _run(_crawl_cmd(db, mirror), cwd=work)
    assert result.returncode == 0, result.stdout + result.stderr
    snap = _snapshot(db)
    _assert_healthy(snap)
    assert len(snap.articles) == 28
    assert len(snap.versions) == 28
    assert len({url for url, (kind, _) in snap.frontier.items() if kind == "listing"}) == 8
    assert snap.pending == []
    _assert_runs(snap, began=1, interrupted=0)
    return snap


# -- the tests -----------------------------------------------------------------------------------


def test_the_named_points_are_every_write_point() -> None:
    """The parametrization covers every point archive.py reports to its write hook."""
    found = set(re.findall(r"_reached\(\s*\"(\w+)\"\s*\)", ARCHIVE_PY.read_text("utf-8")))
    assert found == set(WRITE_POINTS)


@pytest.mark.parametrize(("point", "n"), NAMED_COMBOS)
def test_kill_at_a_named_write_point_then_resume(
    point: str, n: int, mirror: str, golden: Snapshot, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    cmd = _crawl_cmd(db, mirror)
    killed = _run(cmd, crash_at=f"{point}:{n}", cwd=tmp_path)
    if killed.returncode == 0:
        # A clean crawl never reaches this point N times: nothing was killed. It must still
        # have archived exactly what the golden run did.
        snap = _snapshot(db)
        _assert_like_golden(snap, golden)
        _assert_runs(snap, began=1, interrupted=0)
        pytest.skip(f"a clean crawl reaches {point} fewer than {n} times (archive = golden)")
    assert killed.returncode == KILLED, killed.stdout + killed.stderr

    after_kill = _snapshot(db)
    _assert_healthy(after_kill)
    # Nothing committed is wrong: every stored article is the golden's, at version 1.
    for url, value in after_kill.articles.items():
        assert golden.articles.get(url) == value, url
    # The first transaction is begin_crawl: killed before its commit, it left no run.
    began_first = 0 if (point in ("before_commit", "any") and n == 1) else 1
    assert len(after_kill.runs) == began_first
    unfinished = [run for run in after_kill.runs if run[1] is None]
    assert len(unfinished) == began_first

    _, began = _resume(cmd, db, cwd=tmp_path)
    final = _snapshot(db)
    if unfinished:
        # Killed with URLs pending, the next crawl resumes; killed after the last one (in
        # finish_run), it starts over.
        assert _resumed(final, began_first) is bool(after_kill.pending)
    _assert_like_golden(final, golden)
    _assert_runs(final, began=began_first + began, interrupted=began_first)


@pytest.mark.slow
@pytest.mark.parametrize("crash_at", ["before_commit:2", "links_added:9", "links_added:30"])
def test_kill_during_a_recrawl_then_resume(
    crash_at: str, mirror: str, golden: Snapshot, tmp_path: Path
) -> None:
    """The daily job: a finished archive is crawled again (conditional GETs, 304s) and that
    crawl is killed. The next one resumes it, and the archive is still the golden one."""
    db = tmp_path / "archive.db"
    cmd = _crawl_cmd(db, mirror)
    first = _run(cmd, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    killed = _run(cmd, crash_at=crash_at, cwd=tmp_path)
    assert killed.returncode == KILLED, killed.stdout + killed.stderr
    after_kill = _snapshot(db)
    _assert_healthy(after_kill, first_crawl=False)
    assert after_kill.articles == golden.articles
    assert after_kill.page_shas == golden.page_shas
    assert after_kill.pending, "killed after the re-crawl's last URL: choose an earlier point"
    _, began = _resume(cmd, db, cwd=tmp_path)
    final = _snapshot(db)
    assert _resumed(final, 2)
    _assert_like_golden(final, golden)
    _assert_runs(final, began=2 + began, interrupted=1)


@dataclass(frozen=True)
class FailureKill:
    """A crawl with 8 URLs that answer 404, killed the N-th time it records a failure,
    then resumed."""

    n: int
    after_kill: Snapshot
    resumed: list[subprocess.CompletedProcess[str]]
    began: int
    final: Snapshot


def _kill_while_recording_a_failure(n: int, mirror: str, work: Path) -> FailureKill:
    db = work / "archive.db"
    urls = work / "urls.txt"
    urls.write_text("".join(u + "\n" for u in MISSING_URLS), "utf-8")
    cmd = _crawl_cmd(db, mirror, urls=urls)
    killed = _run(cmd, crash_at=f"failure_recorded:{n}", cwd=work)
    assert killed.returncode == KILLED, killed.stdout + killed.stderr
    after_kill = _snapshot(db)
    resumed, began = _resume(cmd, db, cwd=work, final_codes=(1,))  # 1: some URLs failed
    return FailureKill(n, after_kill, resumed, began, _snapshot(db))


def _check_failure_kill(run: FailureKill, golden: Snapshot) -> None:
    """Everything but the bug below: articles, pages, frontier, runs, health."""
    _assert_healthy(run.after_kill)
    # The N-th failure was rolled back with its group (the URLs finished since the last
    # commit); the failures committed before it are kept, once each.
    kept = len(run.after_kill.errors)
    assert kept <= run.n - 1
    assert len(set(run.after_kill.errors)) == kept
    assert _resumed(run.final, 1)
    # A 404 keeps its raw page (evidence); the rest is the golden archive.
    _assert_like_golden(run.final, golden, more_pages=frozenset(MISSING_URLS))
    # Every missing URL failed for good: recorded (none lost), and not pending any more.
    assert set(run.final.errors) == set(MISSING_URLS)
    for url in MISSING_URLS:
        assert run.final.frontier[url] == ("article", "failed")
    last = run.final.runs[-1]
    assert len(run.final.runs) == 1 + run.began
    assert run.final.interrupted_runs == 1
    assert last[2] == 1 and not _is_interrupted(last[3])


def _check_failures_recorded_once(run: FailureKill) -> None:
    """As in an uninterrupted run: each missing URL fetched, and its failure recorded, once."""
    assert sorted(run.final.errors) == sorted(MISSING_URLS), Counter(run.final.errors)
    assert f"{len(MISSING_URLS) - len(run.after_kill.errors)} failed" in run.resumed[0].stderr


@pytest.fixture(scope="module")
def failure_kill_7(mirror: str, tmp_path_factory: pytest.TempPathFactory) -> FailureKill:
    return _kill_while_recording_a_failure(7, mirror, tmp_path_factory.mktemp("failure7"))


def test_kill_while_recording_a_failure_then_resume(
    failure_kill_7: FailureKill, golden: Snapshot
) -> None:
    """``failure_recorded`` is never reached by the mirror alone: add 8 URLs that answer 404
    (``--urls``), kill at the 7th failure, resume."""
    _check_failure_kill(failure_kill_7, golden)


def test_a_resumed_crawl_does_not_refetch_urls_that_failed_before_the_kill(
    failure_kill_7: FailureKill,
) -> None:
    _check_failures_recorded_once(failure_kill_7)


@pytest.mark.slow
def test_kill_at_the_first_failure_then_resume(
    mirror: str, golden: Snapshot, tmp_path: Path
) -> None:
    run = _kill_while_recording_a_failure(1, mirror, tmp_path)
    _check_failure_kill(run, golden)
    _check_failures_recorded_once(run)  # nothing had failed before the kill


def _random_kills(
    db: Path, mirror: str, cwd: Path, *, kills: int, seed: int
) -> tuple[int, int, int, list[float]]:
    """SIGKILL crawls of one archive at random instants until ``kills`` kills, then let one run
    finish. A run that ends (or is killed after its last URL) completes the crawl; the next one
    starts over (the daily re-crawl), and is killed in turn. Checks the archive after every
    kill.

    Returns (processes that opened a run, interrupted runs, integrity ok count, delays)."""
    rng = random.Random(seed)
    cmd = _crawl_cmd(db, mirror)
    done = 0
    integrity_ok = 0
    began = 0
    killed_with_run = 0
    completed_once = False
    stored: dict[str, tuple[str, int]] = {}
    delays: list[float] = []
    while done < kills:
        before = _count_runs(db)
        killed, delay = _kill_at_random(_spawn(cmd, cwd=cwd), db, rng)
        opened = _count_runs(db) - before
        assert opened in (0, 1)
        began += opened
        if not killed:
            completed_once = True
            continue
        done += 1
        delays.append(delay)
        killed_with_run += opened
        snap = _snapshot(db)
        _assert_healthy(snap, first_crawl=not completed_once)
        integrity_ok += snap.integrity == ["ok"]
        if snap.frontier and not snap.pending:
            # Killed after its last URL (in finish_run, or on the way out): the next crawl
            # starts over, and queues archived articles again.
            completed_once = True
        # Nothing committed is ever lost: the stored articles only grow, and never change.
        assert set(stored) <= set(snap.articles), sorted(set(stored) - set(snap.articles))
        stored = snap.articles
    before = _count_runs(db)
    final = _run(cmd, cwd=cwd)
    assert final.returncode == 0, final.stdout + final.stderr
    began += _count_runs(db) - before
    return began, killed_with_run, integrity_ok, delays


def test_random_sigkills_then_resume(mirror: str, golden: Snapshot, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    began, interrupted, ok, delays = _random_kills(db, mirror, tmp_path, kills=10, seed=20250106)
    assert len(delays) == 10
    assert ok == 10
    final = _snapshot(db)
    _assert_like_golden(final, golden)
    _assert_runs(final, began=began, interrupted=interrupted)


@pytest.mark.slow
def test_soak_50_random_sigkills(
    mirror: str, golden: Snapshot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "archive.db"
    started = time.monotonic()
    began, interrupted, ok, delays = _random_kills(db, mirror, tmp_path, kills=50, seed=50)
    final = _snapshot(db)
    lost = len(set(golden.articles) - set(final.articles))
    duplicated = (
        (len(final.versions) - len(set(final.versions)))
        + (len(final.versions) - len(golden.versions))
        + (len(final.pages) - len(set(final.pages)))
    )
    with capsys.disabled():
        print(
            f"\n{len(delays)} SIGKILLs: {lost} lost, {duplicated} duplicated, "
            f"integrity ok {ok}/{len(delays)} ({began} runs opened, {interrupted} interrupted, "
            f"{time.monotonic() - started:.0f} s)"
        )
    assert len(delays) == 50
    assert ok == 50
    assert lost == 0
    assert duplicated == 0
    _assert_like_golden(final, golden)
    _assert_runs(final, began=began, interrupted=interrupted)


def test_a_second_crawl_exits_at_once_and_readers_are_not_blocked(
    mirror: str, golden: Snapshot, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    first = _spawn(_crawl_cmd(db, mirror, delay="0.5"), cwd=tmp_path)
    try:
        # Wait until the first crawl holds the lock and has archived the article searched for.
        deadline = time.monotonic() + 60
        while True:
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first crawl archived nothing in 60 s"
            if _count_runs(db) == 1 and _SOCIAL in _snapshot(db).articles:
                break
            time.sleep(0.05)

        # Both at once, while the first crawl runs: a second crawl, and a reader.
        started = time.monotonic()
        second = _spawn(_crawl_cmd(db, mirror), cwd=tmp_path)
        search = _spawn(
            [sys.executable, "-m", "portal_archive", "search", "social", "--db", str(db)],
            cwd=tmp_path,
        )
        second_out, second_err = second.communicate(timeout=CRAWL_TIMEOUT_S)
        second_s = time.monotonic() - started
        search_out, search_err = search.communicate(timeout=CRAWL_TIMEOUT_S)
        search_s = time.monotonic() - started
        assert second.returncode == 2, second_out + second_err
        assert "another crawl is running" in second_err
        assert second_s < 8, f"the second crawl took {second_s:.1f} s to give up"
        assert search.returncode == 0, search_out + search_err
        assert "Social" in search_out, search_out
        assert search_s < 8, f"a search during the crawl took {search_s:.1f} s"
        assert first.poll() is None, "the first crawl ended: the test proved nothing"
        assert _count_runs(db) == 1  # the refused crawl opened no run
    finally:
        if first.poll() is None:
            os.kill(first.pid, signal.SIGKILL)
        first.communicate(timeout=CRAWL_TIMEOUT_S)
    assert first.returncode == KILLED

    # The killed slow crawl resumes like any other.
    _assert_healthy(_snapshot(db))
    _, began = _resume(_crawl_cmd(db, mirror), db, cwd=tmp_path)
    final = _snapshot(db)
    _assert_like_golden(final, golden)
    _assert_runs(final, began=1 + began, interrupted=1)
