"""A council that makes a joint return with another (DfE's ``314 / 318``, ``940 / 941``) runs,
is published under that code exactly as DfE writes it, and is benchmarked against DfE's rows for
the joint return (issue 12, item 5)."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from conftest import ROOT, SMALL_MONTH, settings_for
from workforce.spec.catalogue import mart_tables

JOINT = "314 / 318"


@pytest.mark.slow
def test_a_joint_return_publishes_under_its_code_and_benchmarks_against_dfe_s_rows(small_landing, tmp_path):
    from workforce.pipeline import run_month

    settings = settings_for(tmp_path / "data", small_landing, WORKFORCE_LA_CODE="314/318")  # spacing as typed
    assert settings.la_code == JOINT
    run_month(SMALL_MONTH, settings, progress=lambda _m: None)
    month_dir = settings.published_month_dir(SMALL_MONTH)
    for table in mart_tables():  # scrutiny_revisions: empty, nothing revised
        frame = pd.read_parquet(month_dir / f"{table.name}.parquet")
        assert len(frame) and set(frame["la_code"]) == {JOINT}, table.name
    benchmarks = pd.read_parquet(month_dir / "scrutiny_benchmarks.parquet")
    council = benchmarks[benchmarks.geography_level == "council"]
    assert set(council.geography_code) == {JOINT}
    assert set(council.geography_name) == {"Kingston upon Thames / Richmond upon Thames"}
    with (ROOT / "dbt_project/seeds/dfe/dfe_csww_indicators.csv").open(encoding="utf-8") as fh:
        dfe = next(r for r in csv.DictReader(fh) if r["old_la_code"] == JOINT and r["time_period"] == "2025")
    row = council[(council.time_period == 2025) & (council.indicator == "inpost_fte")].iloc[0]
    assert row.value == float(dfe["inpost_fte"])
    region = benchmarks[(benchmarks.geography_level == "region") & (benchmarks.time_period == 2025)]
    assert set(region.geography_name) == {"Outer London"}  # the joint return's own region
