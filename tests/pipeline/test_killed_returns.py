"""The census readiness report written by the monthly validate step (issue 14), killed outright
(SIGKILL) while it writes its restricted files or its counts, then rerun in a fresh process,
leaves what an uninterrupted run leaves: the same files (no temporary or half-written file under
``restricted/``), the same report, the same counts in ``validation_results.json``, files 0600 and
folders 0700, and an audit trail whose last entry names the files as they are.

The runner is ``conftest.KILL_RUNNER`` with the restricted writes, the audit entry and the
readiness step added to its watched events."""

from __future__ import annotations

import json
import stat
import subprocess
import sys

import pytest
from conftest import KILL_RUNNER, ROOT, SMALL_MONTH, copy_data, subprocess_env
from workforce import files

pytestmark = pytest.mark.slow

_WATCHED = '(extract, "_load_file", "extract._load_file"),\n]:'
assert _WATCHED in KILL_RUNNER, "conftest.KILL_RUNNER changed: update the watched events here"
RUNNER = KILL_RUNNER.replace(_WATCHED, _WATCHED[:-3] + """
    (restricted, "write_restricted", "restricted write"), (restricted, "record", "restricted audit"),
    (census, "readiness_step", "census readiness"),
]:""").replace("from workforce.release import audit\n",
               "from workforce.release import audit\nfrom workforce.returns import census, restricted\n")


def _run(settings, kill_at: int = 0, match: str = "", force: bool = False) -> subprocess.CompletedProcess:
    env = subprocess_env(settings, KILL_AT=str(kill_at), KILL_MATCH=match, KILL_FORCE="1" if force else "0")
    return subprocess.run([sys.executable, "-c", RUNNER, "validate", SMALL_MONTH, str(settings.data_dir)], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


def _names(settings) -> list[str]:
    root = settings.data_dir
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.relative_to(root).parts[0] not in ("dbt", "locks"))


def _readiness(settings) -> dict:
    """The restricted report (but its run time), its text, and the counts in the quality results."""
    folder = settings.restricted_dir / "readiness" / SMALL_MONTH
    report = json.loads((folder / "census_readiness.json").read_text(encoding="utf-8"))
    report.pop("seconds")
    rows = json.loads((settings.quality_dir / SMALL_MONTH / "validation_results.json").read_text(encoding="utf-8"))
    return {"report": report, "text": (folder / "census_readiness.txt").read_text(encoding="utf-8"),
            "counts": [r for r in rows if r["suite"] == "census_readiness"]}


def _owner_only(settings) -> list[str]:
    """Files under restricted/ not 0600 and folders not 0700."""
    wrong = []
    for path in [settings.restricted_dir, *settings.restricted_dir.rglob("*")]:
        want = 0o700 if path.is_dir() else 0o600
        if stat.S_IMODE(path.stat().st_mode) != want:
            wrong.append(f"{path.relative_to(settings.data_dir)} {oct(stat.S_IMODE(path.stat().st_mode))}")
    return wrong


def _audit_names_the_files(settings) -> None:
    trail = json.loads((settings.quality_dir / "returns" / "audit.json").read_text(encoding="utf-8"))
    last = [e for e in trail if e["kind"] == "census_readiness" and e["period"] == SMALL_MONTH][-1]
    assert last["files"] == {name: files.sha256_file(settings.data_dir / name).upper() for name in last["files"]}


def _inside(events: list[str], match: str, within: str) -> list[int]:
    """The 1-based numbers, among the events matching ``match``, of those inside ``within``."""
    numbers, n, depth = [], 0, 0
    for e in events:
        depth += (e == f"before {within}") - (e == f"after {within}")
        if match in e:
            n += 1
            if depth > 0:
                numbers.append(n)
    return numbers


def test_validate_killed_while_it_writes_the_readiness_report_then_rerun_leaves_an_uninterrupted_runs(
        small_published, tmp_path):
    reference = copy_data(small_published, tmp_path / "reference")
    done = _run(reference, force=True)
    assert done.returncode == 0, done.stderr[-3000:]
    events = json.loads(done.stdout.strip().splitlines()[-1])
    expected = (_names(reference), _readiness(reference))
    assert _owner_only(reference) == []
    _audit_names_the_files(reference)

    replaces = _inside(events, "before os.replace", "census readiness")
    written = _inside(events, "before os.replace", "restricted write")
    # the report's first file written but not yet in place; the audit entry's write; the counts' write
    cases = [("before os.replace", written[0]), ("after restricted write", 1), ("before os.replace", replaces[-1])]
    assert len(written) == 2 and replaces[-1] not in written
    for match, n in cases:
        copy = copy_data(small_published, tmp_path / f"{match}-{n}")
        killed = _run(copy, kill_at=n, match=match, force=True)
        assert killed.returncode == -9, (match, n, killed.stderr[-3000:])
        if (match, n) == cases[0]:  # killed between the temporary file and its rename: only that is left
            folder = copy.restricted_dir / "readiness" / SMALL_MONTH
            assert [p.name for p in folder.iterdir() if files.is_temp_name(p.name)], "the kill left no temporary"
        rerun = _run(copy)  # a fresh process, no force: the killed run left the month to validate again
        assert rerun.returncode == 0, (match, n, rerun.stderr[-3000:])
        assert (_names(copy), _readiness(copy)) == expected, (match, n)
        assert _owner_only(copy) == [], (match, n)
        _audit_names_the_files(copy)
