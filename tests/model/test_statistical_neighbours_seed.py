"""The statistical-neighbour seed is DfE's 2021 grouping, copied from shared/ in long form."""

from __future__ import annotations

import csv

import pytest
from conftest import ROOT, SHARED

SEED = ROOT / "dbt_project" / "seeds" / "dfe" / "dfe_statistical_neighbours.csv"


def _dfe_file_long() -> list[dict]:
    path = SHARED / "data" / "dfe" / "statistical_neighbours_2021.csv"
    if not path.exists():
        pytest.fail(f"DfE groupings missing at {path} (shared/ must sit beside the repo)")
    out, superseded = [], False
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in list(csv.reader(fh))[1:]:
            if row[1].strip() == "Old SNs:":
                superseded = True
                continue
            if not row[0].strip():
                continue
            for k in range(10):
                out.append({"la_code": row[2], "la_name": row[1], "region_name": row[4], "neighbour_rank": str(k + 1),
                            "neighbour_la_code": row[5 + 2 * k], "closeness": row[6 + 2 * k],
                            "superseded": "true" if superseded else "false"})
    return out


def test_the_seed_is_dfes_grouping_row_for_row():
    with SEED.open(encoding="utf-8", newline="") as fh:
        seed = list(csv.DictReader(fh))
    assert seed == _dfe_file_long()
    devon = [r["neighbour_la_code"] for r in seed if r["la_code"] == "878"]
    assert devon == ["933", "893", "838", "884", "908", "916", "935", "865", "885", "926"]
    assert {r["la_code"] for r in seed if r["superseded"] == "true"} == {"835", "836", "837", "928"}
    assert not {"942", "943"} & {r["la_code"] for r in seed}  # created since 2021: no grouping
