"""Atomic writes: the old file or the new one, never half of one, and no temporary file left."""

from __future__ import annotations

import json
import os
from datetime import date

import pytest
from workforce import files


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if files.is_temp_name(p.name))


def test_write_goes_through_a_hidden_temp_file_in_the_same_folder(tmp_path):
    final = tmp_path / "out" / "table.csv"
    seen = []

    def write(tmp):
        seen.append(tmp)
        assert not final.exists()  # nothing at the final name until the write is complete
        tmp.write_text("a,b\n1,2\n", encoding="utf-8")

    assert files.atomic_write(final, write) == final
    assert final.read_text(encoding="utf-8") == "a,b\n1,2\n"
    (tmp,) = seen
    assert tmp.parent == final.parent
    assert tmp.name.startswith(".") and tmp.name.endswith(".tmp") and files.is_temp_name(tmp.name)
    assert final.name in tmp.name
    assert not tmp.exists() and _leftovers(final.parent) == []
    assert files.temp_path_for(final) != files.temp_path_for(final)  # unique per call


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path):
    final = tmp_path / "table.csv"
    final.write_text("old\n", encoding="utf-8")

    def write(tmp):
        tmp.write_text("half a fi", encoding="utf-8")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        files.atomic_write(final, write)
    assert final.read_text(encoding="utf-8") == "old\n"
    assert _leftovers(tmp_path) == []
    with pytest.raises(FileNotFoundError, match="nothing was written"):
        files.atomic_write(final, lambda tmp: None)
    assert final.read_text(encoding="utf-8") == "old\n"


def test_a_reader_of_the_old_file_keeps_reading_it(tmp_path):
    final = files.write_text(tmp_path / "f.txt", "old")
    with open(final, encoding="utf-8") as reader:
        files.write_text(final, "new")
        assert reader.read() == "old"
    assert final.read_text(encoding="utf-8") == "new"


def test_new_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        path = files.write_bytes(tmp_path / "f.bin", b"\x00\x01")
    finally:
        os.umask(umask)
    assert path.read_bytes() == b"\x00\x01"
    assert path.stat().st_mode & 0o777 == 0o644  # readable by BI tools, not the 0600 of a mkstemp file


def test_write_json_is_indented_text_with_dates(tmp_path):
    path = files.write_json(tmp_path / "r.json", {"month": "2026-09", "end": date(2026, 9, 30), "n": [1, 2]})
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n") and "\n \"month\"" in text
    assert json.loads(text) == {"month": "2026-09", "end": "2026-09-30", "n": [1, 2]}
    assert _leftovers(tmp_path) == []


def test_replace_directory_swaps_in_a_complete_folder(tmp_path):
    final = tmp_path / "data_docs"
    final.mkdir()
    (final / "old.html").write_text("old", encoding="utf-8")

    def build(folder):
        assert files.is_temp_name(folder.name) and folder.parent == tmp_path
        (folder / "index.html").write_text("new", encoding="utf-8")

    files.replace_directory(final, build)
    assert sorted(p.name for p in final.iterdir()) == ["index.html"]
    assert _leftovers(tmp_path) == []

    def broken(folder):
        (folder / "index.html").write_text("half", encoding="utf-8")
        raise RuntimeError("GX failed")

    with pytest.raises(RuntimeError, match="GX failed"):
        files.replace_directory(final, broken)
    assert (final / "index.html").read_text(encoding="utf-8") == "new"
    assert _leftovers(tmp_path) == []


def _has_exchange(folder):
    (folder / "a").mkdir(parents=True)
    (folder / "b").mkdir()
    try:
        return files.exchange(folder / "a", folder / "b")
    finally:
        import shutil

        shutil.rmtree(folder)


@pytest.mark.parametrize("exchange", [True, False], ids=["atomic-exchange", "rename-aside"])
def test_replace_directory_never_shows_a_mix_or_half_a_folder(tmp_path, monkeypatch, exchange):
    """A reader holding the folder open while it is replaced keeps one complete version; the new
    folder holds exactly the new files (none of the old), with or without the atomic exchange."""
    if not exchange:
        monkeypatch.setattr(files, "exchange", lambda a, b: False)
    elif not _has_exchange(tmp_path / "probe"):
        pytest.skip("no renameat2(RENAME_EXCHANGE) on this system")
    final = tmp_path / "2025-09"
    final.mkdir()
    for name in ("a.csv", "b.csv", "gone.csv"):
        (final / name).write_text(f"old {name}", encoding="utf-8")
    fd = os.open(final, os.O_RDONLY)
    try:
        def build(folder):
            for name in ("a.csv", "b.csv", "new.csv"):
                (folder / name).write_text(f"new {name}", encoding="utf-8")
            assert sorted(os.listdir(fd)) == ["a.csv", "b.csv", "gone.csv"]  # not swapped yet

        files.replace_directory(final, build)
    finally:
        os.close(fd)
    assert {p.name: p.read_text(encoding="utf-8") for p in final.iterdir()} == {
        "a.csv": "new a.csv", "b.csv": "new b.csv", "new.csv": "new new.csv"}
    assert _leftovers(tmp_path) == []


def test_exchange_swaps_two_folders_in_one_step(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "f").write_text("from a", encoding="utf-8")
    (b / "f").write_text("from b", encoding="utf-8")
    if not files.exchange(a, b):
        pytest.skip("no renameat2(RENAME_EXCHANGE) on this system")
    assert (a / "f").read_text(encoding="utf-8") == "from b"
    assert (b / "f").read_text(encoding="utf-8") == "from a"
    with pytest.raises(FileNotFoundError):
        files.exchange(a, tmp_path / "missing")


@pytest.mark.parametrize("name", [
    ".audit.json.123-0a1b2c3d.tmp",                 # temp_path_for's
    ".2025-09.123-0a1b2c3d.tmp",                    # a month folder being built
    ".workforce.duckdb.123-0a1b2c3d.tmp.wal",       # DuckDB's log beside a temporary BI file
    ".workforce.duckdb.tmp-4242",                   # an earlier version's names
    ".workforce.duckdb.tmp-4242.wal",
    ".scrutiny_workforce_monthly.csv.tmp-7",
])
def test_temporary_names_are_recognised(name):
    assert files.is_temp_name(name)


@pytest.mark.parametrize("name", [
    "audit.json", "2025-09", "workforce.duckdb", "workforce.duckdb.wal", ".DS_Store", ".tmp", "x.tmp",
    ".hidden", ".notes.tmp-", ".a.tmp-12x", ".a.tmp.wal.bak",
])
def test_other_names_are_not_temporary(name):
    assert not files.is_temp_name(name)


def test_remove_leftovers_takes_temporary_names_only_down_to_the_depth_asked(tmp_path):
    keep = ["2025-09/audit.json", "2025-09/t.csv", "workforce.duckdb", ".DS_Store", "notes/.hidden"]
    drop = [".workforce.duckdb.1-ab.tmp", ".workforce.duckdb.1-ab.tmp.wal", "2025-09/.t.csv.1-ab.tmp",
            ".2025-08.9-cd.tmp/t.csv", ".workforce.duckdb.tmp-77"]
    deep = "2025-09/sub/.x.1-ab.tmp"
    for rel in keep + drop + [deep]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x", encoding="utf-8")
    (tmp_path / ".link.1-ab.tmp").symlink_to(tmp_path / "2025-09")  # a link is removed, never followed
    removed = files.remove_leftovers(tmp_path, depth=1)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in removed) == sorted([
        ".link.1-ab.tmp", ".2025-08.9-cd.tmp", ".workforce.duckdb.1-ab.tmp", ".workforce.duckdb.1-ab.tmp.wal",
        "2025-09/.t.csv.1-ab.tmp", ".workforce.duckdb.tmp-77"])
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left == sorted(keep + [deep])
    assert files.remove_leftovers(tmp_path / "missing") == []
