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
