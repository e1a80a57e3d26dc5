"""Adding an indicator is one catalogue entry: it reaches the dbt YAML, the GX suite, the docs and the
published table without any other edit.

The test works on a copy of the repository: it adds a throwaway rate to the catalogue of the copy,
regenerates, and runs the copy's pipeline on the small sample in a subprocess (the copy's package
first on the path), then reads the published table back.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT, SMALL_MONTH

NEW = "unmatched_cases_rate"
ENTRY = f"""  - name: {NEW}
    kind: rate
    type: double
    numerator: cases_unmatched
    denominator: cases
    multiplier: 100
    decimals: 1
    status: true
    definition: Throwaway test indicator, cases held by unmatched workers per 100 matched cases.
"""


def _copy_repo(dst: Path) -> Path:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for rel in files:
        src = ROOT / rel
        if src.is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / rel)
    return dst


def _add_entry(repo: Path) -> None:
    path = repo / "include/workforce/spec/catalogue.yml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    # after the last column of the headline table (the line before the next table starts)
    start = next(i for i, line in enumerate(lines) if line.startswith("- name: scrutiny_workforce_monthly"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("- name: "))
    lines.insert(end, ENTRY)
    path.write_text("".join(lines), encoding="utf-8")


def _env(repo: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFORCE_")}
    env.update(PYTHONPATH=str(repo / "include"), **extra)
    return env


@pytest.mark.slow
def test_a_throwaway_indicator_reaches_yaml_suite_docs_and_the_published_table(tmp_path, small_landing):
    repo = _copy_repo(tmp_path / "repo")
    _add_entry(repo)
    gen = subprocess.run([sys.executable, "-m", "workforce.spec.codegen"], cwd=repo, env=_env(repo),
                         capture_output=True, text=True)
    assert gen.returncode == 0, gen.stdout + gen.stderr

    model = yaml.safe_load((repo / "dbt_project/models/marts/_scrutiny_workforce_monthly__models.yml").read_text())
    columns = {c["name"]: c for c in model["models"][0]["columns"]}
    assert columns[NEW]["data_type"] == "double"
    assert columns[f"{NEW}_status"]["data_type"] == "varchar"
    assert {"rate_matches_parts": {"arguments": {"numerator": "cases_unmatched", "denominator": "cases",
                                                 "multiplier": 100}}} in columns[NEW]["data_tests"]

    suite = json.loads((repo / "expectations/published_scrutiny_workforce_monthly.json").read_text())
    checked = {(e["meta"].get("derived") or {}).get("check") for e in suite["expectations"]
               if NEW in json.dumps(e["kwargs"]) or (e["meta"].get("derived") or {}).get("column") == NEW}
    assert {"value_null_iff_status", "zero_denominator_not_applicable", "rounded_to"} <= checked
    ordered = next(e for e in suite["expectations"] if e["type"] == "expect_table_columns_to_match_ordered_list")
    assert ordered["kwargs"]["column_list"][-2:] == [NEW, f"{NEW}_status"]

    page = (repo / "docs/reference/scrutiny_workforce_monthly.md").read_text()
    assert f"| `{NEW}` | double | rate | Throwaway test indicator" in page

    data = tmp_path / "data"
    run = subprocess.run(
        [sys.executable, "-m", "workforce.cli", "run", "--month", SMALL_MONTH], cwd=repo,
        env=_env(repo, WORKFORCE_DATA_DIR=str(data), WORKFORCE_LANDING_DIR=str(small_landing),
                 WORKFORCE_HISTORY_MONTHS="36", WORKFORCE_TREND_MONTHS="1"),
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    published = pd.read_csv(data / "published" / SMALL_MONTH / "scrutiny_workforce_monthly.csv")
    assert list(published.columns[-2:]) == [NEW, f"{NEW}_status"]
    council = published[published["service_area"] == "All"].iloc[0]
    expected = round(council["cases_unmatched"] / council["cases"] * 100, 1)
    assert council[NEW] == pytest.approx(expected, abs=0.051)
    # below council level the new rate is suppressed with its parts (it follows cases)
    for _, row in published[published["service_area"] != "All"].iterrows():
        if row["cases_status"] == "c":
            assert pd.isna(row[NEW]) and row[f"{NEW}_status"] == "c"
