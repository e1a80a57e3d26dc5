"""Personal data: no identity leaves ingest, the key stays secret, published files are safe to open.

Adversarial: an SWE number in a free-text job title, a team name that is a spreadsheet formula,
a run without a key on real data (here: with the key held in an Airflow connection), and scans of
every published file for anything shaped like an identifier, a name or a date of birth from the
landing files. See docs/data-protection.md.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import subprocess
import sys
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import ROOT, SMALL_MONTH
from workforce.config import DEMO_PSEUDONYMISATION_KEY, SAMPLE_MARKER
from workforce.ingest import pseudonymise
from workforce.ingest.pseudonymise import AIRFLOW_CONNECTION_ID, PseudonymisationKeyError, Pseudonymiser, resolve_key
from workforce.publish import publisher as publish
from workforce.publish import spreadsheet_safety
from workforce.spec.catalogue import mart_tables, published_tables

FORMULA_START = spreadsheet_safety.FORMULA_START
#: Identifiers of the contract's exports, as the source systems write them (SWE numbers also
#: lower-case or spaced, as the CMS does).
IDENTIFIER_PATTERNS = {
    "SWE number": re.compile(r"(?i)\bsw\s?\d{3}\s?\d{3}\b"),
    "employee id": re.compile(r"\bE\d{6}\b"),
    "child id": re.compile(r"\bC\d{7}\b"),
    "CMS professional id": re.compile(r"\bP\d{5}\b"),
    "referral id": re.compile(r"\bR\d{7}\b"),
    "HR spell id": re.compile(r"\bSP\d{6}\b"),
    "absence id": re.compile(r"\bAB\d{7}\b"),
    "involvement id": re.compile(r"\bINV\d{8}\b"),
    "pseudonym": re.compile(r"\b[0-9a-f]{64}\b"),
}


# --- reading every published file as text ----------------------------------------------------------


def _duckdb_text(path: Path) -> dict[str, str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables order by all"
        ).fetchall()
        out = {}
        for schema, table in tables:
            cols = [r[0] for r in con.execute(f'describe "{schema}"."{table}"').fetchall()]
            select = ", ".join(f'cast("{c}" as varchar)' for c in cols)
            rows = con.execute(f'select {select} from "{schema}"."{table}"').fetchall()
            out[f"{path.name}:{schema}.{table}"] = "\n".join(
                [" | ".join(cols)] + [" | ".join("" if v is None else v for v in row) for row in rows]
            )
        return out
    finally:
        con.close()


def published_texts(published_dir: Path) -> dict[str, str]:
    """Every published file (DuckDB: every table, every column cast to text) as text."""
    texts: dict[str, str] = {}
    files = sorted(p for p in published_dir.rglob("*") if p.is_file())
    assert files, f"nothing published under {published_dir}"
    for path in files:
        if path.suffix == ".duckdb":
            texts.update(_duckdb_text(path))
        elif path.suffix == ".parquet":
            texts[str(path)] = pd.read_parquet(path).astype(str).to_csv(index=False)
        elif path.suffix in (".csv", ".json"):  # .json: the audit record beside each month
            texts[str(path)] = path.read_text(encoding="utf-8")
        else:
            pytest.fail(f"unexpected file in the published folder: {path} (only .duckdb, .parquet, .csv, .json)")
    return texts


def landing_people(landing: Path) -> tuple[set[str], set[str], set[str]]:
    """(full names, dates of birth, identifiers) of everyone in the landing files."""
    names, dobs, ids = set(), set(), set()
    for path in landing.glob("hr_workers/*.csv"):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        names |= set(df.full_name) - {""}
        dobs |= set(df.date_of_birth) - {""}
        ids |= set(df.employee_id) | set(df.swe_registration)
    for path in landing.glob("ssd_professionals/*.csv"):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        names |= set(df.prof_professional_name) - {""}
        ids |= set(df.prof_professional_id) | set(df.prof_social_worker_registration_no)
    for path in landing.glob("ssd_involvements/*.csv"):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        ids |= set(df.invo_person_id)
    return names, dobs, ids - {""}


_WORD = re.compile(r"[0-9a-z]+(?:[-'][0-9a-z]+)*")


def _phrases(text: str, longest: int = 4) -> set[str]:
    """Every run of 1 to ``longest`` words of the text, lower-cased and joined by one space: a
    name, date or identifier is found by a set look-up, not a substring search per needle (which
    took minutes over the default sample's files)."""
    words = _WORD.findall(text.lower())
    return {" ".join(words[i:i + n]) for n in range(1, longest + 1) for i in range(len(words) - n + 1)}


def _as_phrase(value: str) -> str:
    return " ".join(_WORD.findall(value.lower()))


def contains(texts: dict[str, str], needles, label: str) -> list[str]:
    """``<where>: <label>`` for each text holding any of the needles as whole words."""
    wanted = {_as_phrase(n) for n in needles} - {""}
    return [f"{where}: {label}" for where, text in texts.items() if wanted & _phrases(text)]


def leaks(texts: dict[str, str], names=(), dobs=(), ids=()) -> list[str]:
    found = []
    for where, text in texts.items():
        for kind, pattern in IDENTIFIER_PATTERNS.items():
            m = pattern.search(text)
            if m:
                found.append(f"{where}: {kind} {m.group(0)!r}")
    found += contains(texts, names, "a landing name")
    found += contains(texts, dobs, "a landing date of birth")
    found += contains(texts, ids, "a landing identifier")
    return found


# --- 5. spreadsheet safety ----------------------------------------------------------------------------


FORMULA_NAMES = ['=HYPERLINK("http://x","y")', "+44 1392", "-1+2", "@SUM(A1)", "\t=1", "Front Door"]


def _csv_cells(write, names, tmp_path) -> list[dict]:
    df = pd.DataFrame({
        "team_code": [f"T{i}" for i in range(len(names))],
        "team_name": names,
        "team_name_str": pd.Series(names, dtype="string"),
        "change": [-1.5 + i for i in range(len(names))],
    })
    path = tmp_path / "teams.csv"
    write(df, path)
    # Read the way spreadsheet software does: a bare CR or LF outside quotes ends a row.
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _assert_formula_safe(rows: list[dict], names: list[str]) -> None:
    assert len(rows) == len(names)
    for row in rows:
        for value in row.values():
            numeric = re.fullmatch(r"-?\d+(\.\d+)?", value or "")
            assert value is not None and (numeric or not value.startswith(FORMULA_START)), row


@pytest.mark.parametrize("write", [publish._write_csv, spreadsheet_safety.write_csv], ids=["publish", "safety"])
def test_formula_cells_are_neutralised_in_the_published_csv(tmp_path, write):
    rows = _csv_cells(write, FORMULA_NAMES, tmp_path)
    _assert_formula_safe(rows, FORMULA_NAMES)
    assert rows[0]["team_name"] == "'" + FORMULA_NAMES[0]  # kept readable, shown as text
    assert rows[-1]["team_name"] == "Front Door"  # ordinary text untouched
    assert rows[0]["change"] == "-1.5"  # numbers are numbers, not formulas


CR_NAMES = ["\r=1+1", "Front Door\r=HYPERLINK(\"http://x\",\"y\")", "ok"]


def test_carriage_returns_cannot_start_a_row_with_a_formula(tmp_path):
    rows = _csv_cells(spreadsheet_safety.write_csv, CR_NAMES, tmp_path)
    _assert_formula_safe(rows, CR_NAMES)
    assert rows[1]["team_name"] == "Front Door\n=HYPERLINK(\"http://x\",\"y\")"  # one quoted cell


def test_publish_csv_writer_handles_carriage_returns(tmp_path):
    _assert_formula_safe(_csv_cells(publish._write_csv, CR_NAMES, tmp_path), CR_NAMES)


def test_neutralise_formulas_leaves_the_input_alone():
    for neutralise in (publish.neutralise_formulas, spreadsheet_safety.neutralise_formulas):
        df = pd.DataFrame({"team_name": ["=1+1", None], "n": [-1, 2]})
        out = neutralise(df)
        assert out.team_name.iloc[0] == "'=1+1" and df.team_name.iloc[0] == "=1+1"
        assert out.n.tolist() == [-1, 2] and pd.isna(out.team_name.iloc[1])


@pytest.mark.slow
def test_published_sample_csv_is_formula_safe(published_default):
    settings, _summary = published_default
    for path in settings.published_dir.rglob("*.csv"):
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert rows or path.stem == "scrutiny_revisions", path  # no revision: an empty table
        _assert_formula_safe(rows, rows)


# --- 1. the pseudonymisation key ------------------------------------------------------------------


def test_key_from_the_airflow_connection_when_the_environment_has_none(small_settings, monkeypatch):
    key = "a-secret-key-from-airflow-connection-store-0123456789"
    asked = []
    monkeypatch.setattr(pseudonymise, "airflow_connection_key", lambda *a: asked.append(a) or key)
    assert small_settings.pseudonymisation_key is None
    landing = small_settings.landing_dir
    (landing / SAMPLE_MARKER).unlink()  # real data
    assert resolve_key(small_settings) == key.encode()
    assert asked
    # The environment wins: the connection is not consulted.
    asked.clear()
    assert resolve_key(replace(small_settings, pseudonymisation_key="e" * 40)) == b"e" * 40
    assert not asked


@pytest.mark.parametrize(("connection_key", "message"), [
    (None, "not set"),
    (DEMO_PSEUDONYMISATION_KEY, "demo key"),
    ("tiny-key-7Hq", "too short"),
])
def test_real_data_refused_without_a_usable_key_from_either_source(small_settings, monkeypatch, connection_key,
                                                                    message):
    monkeypatch.setattr(pseudonymise, "airflow_connection_key", lambda *a: connection_key)
    (small_settings.landing_dir / SAMPLE_MARKER).unlink()
    with pytest.raises(PseudonymisationKeyError, match=message) as err:
        resolve_key(small_settings)
    assert AIRFLOW_CONNECTION_ID in str(err.value) or connection_key is not None
    if connection_key:
        assert connection_key not in str(err.value)  # the error never echoes the key


def test_airflow_connection_lookup_reads_the_password(monkeypatch, tmp_path):
    pytest.importorskip("airflow")
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "airflow"))
    secret = "conn-held-key-" + "z" * 40
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{AIRFLOW_CONNECTION_ID.upper()}", json.dumps({"conn_type": "generic", "password": secret})
    )
    assert pseudonymise.airflow_connection_key() == secret
    monkeypatch.delenv(f"AIRFLOW_CONN_{AIRFLOW_CONNECTION_ID.upper()}")
    if "airflow" not in sys.modules:
        assert pseudonymise.airflow_connection_key() is None


def test_workforce_run_outside_airflow_never_imports_it(tmp_path):
    code = (
        "import sys, workforce.ingest.pseudonymise as p; "
        "assert p.airflow_connection_key() is None; assert 'airflow' not in sys.modules"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=tmp_path, timeout=120)


@pytest.mark.pipeline
def test_key_is_never_logged_or_reported(small_settings, caplog):
    from workforce.ingest.extract import extract

    key = "never-log-me-" + "q" * 40
    settings = replace(small_settings, pseudonymisation_key=key)
    assert key not in repr(settings)
    assert key not in repr(Pseudonymiser(key.encode()))
    with caplog.at_level(logging.DEBUG):
        report = extract(settings, date(2025, 9, 30))
    assert key not in caplog.text
    assert key not in repr(report) and key not in json.dumps(asdict(report), default=str)


# --- 2. personal data never reaches a published file --------------------------------------------------


@pytest.mark.slow
def test_scan_published_files_for_identity(published_default):
    settings, _summary = published_default
    names, dobs, ids = landing_people(settings.landing_dir)
    assert len(names) > 100 and len(dobs) > 100 and len(ids) > 300  # the scan is not vacuous
    texts = published_texts(settings.published_dir)
    assert leaks(texts, names, dobs, ids) == []
    # Quality results hold observed values: pseudonyms may appear there, raw identities never.
    quality = {str(p): p.read_text(encoding="utf-8") for p in settings.quality_dir.rglob("*.json")}
    assert quality
    raw_only = {k: v for k, v in IDENTIFIER_PATTERNS.items() if k != "pseudonym"}
    found = [f"{w}: {k}" for w, t in quality.items() for k, p in raw_only.items() if p.search(t)]
    found += contains(quality, names, "a landing name") + contains(quality, dobs, "a landing date of birth")
    assert found == []


def test_scan_catches_what_it_looks_for():
    texts = {"t": "Social worker SW 123 456 | e: E123456 | C1234567 | Chipo Martin | 1984-03-13"}
    found = leaks(texts, names={"Chipo Martin"}, dobs={"1984-03-13"})
    assert len(found) == 5


@pytest.mark.slow
def test_published_bi_file_holds_public_tables_only(published_default):
    settings, _summary = published_default
    con = duckdb.connect(str(settings.published_warehouse_path), read_only=True)
    try:
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
        schemas = {r[0] for r in con.execute("select distinct schema_name from duckdb_tables()").fetchall()}
        views = con.execute("select view_name from duckdb_views() where not internal").fetchall()
        attached = con.execute("select database_name from duckdb_databases() where not internal").fetchall()
    finally:
        con.close()
    assert tables == {t.name for t in published_tables()} | {"published_months", "audit_log"}
    assert schemas == {"main"} and views == []
    assert len(attached) == 1  # nothing attached: the BI file cannot reach the warehouse
    assert not settings.warehouse_path.is_relative_to(settings.published_dir)


@pytest.mark.slow
def test_demo_key_is_nowhere_in_the_outputs(published_default):
    """Warehouse bytes, published files, staged files, quality results, dbt target and logs."""
    settings, _summary = published_default
    needle = DEMO_PSEUDONYMISATION_KEY.encode()
    files = [p for p in settings.data_dir.rglob("*") if p.is_file()]
    assert settings.warehouse_path in files and settings.published_warehouse_path in files
    assert any(p.is_relative_to(settings.dbt_target_dir) for p in files)
    found = [str(p) for p in files if needle in p.read_bytes()]
    assert found == []


@pytest.mark.slow
def test_swe_number_in_a_free_text_job_title_is_never_published(small_settings, small_landing):
    """A person's SWE number typed into their job title (free text, kept in the warehouse's raw
    tables) must not reach any published file."""
    from workforce.pipeline import run_month

    planted = set()
    for path in sorted(small_landing.glob("hr_workers/*.csv")):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        df["job_title"] = df.job_title + " (reg " + df.swe_registration + ", " + df.employee_id + ")"
        planted |= set(df.swe_registration)
        df.to_csv(path, index=False)
    for path in sorted(small_landing.glob("ssd_professionals/*.csv")):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        df["prof_professional_job_title"] = df.prof_professional_job_title + " " + df.prof_professional_name
        df.to_csv(path, index=False)
    run_month(SMALL_MONTH, small_settings, progress=lambda _m: None)
    names, dobs, ids = landing_people(small_landing)
    texts = published_texts(small_settings.published_dir)
    assert leaks(texts, names, dobs, ids | planted) == []


@pytest.mark.slow
def test_no_published_model_has_a_personal_data_column(tmp_path):
    """The personal-data register is the dbt YAML: every column with ``meta.personal_data``."""
    env = dict(os.environ, WORKFORCE_WAREHOUSE_PATH=str(tmp_path / "w.duckdb"), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(
        [str(dbt), "parse", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=300,
    )
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text(encoding="utf-8"))
    nodes = {**manifest["nodes"], **manifest["sources"]}
    register: dict[str, list[str]] = {}
    for uid, node in nodes.items():
        for col in (node.get("columns") or {}).values():
            if (col.get("meta") or {}).get("personal_data") or (col.get("config", {}).get("meta") or {}).get(
                "personal_data"
            ):
                register.setdefault(col["name"], []).append(uid)
    assert {"person_key", "employee_key", "invo_child_key", "age_band"} <= set(register), sorted(register)

    published = {t.name: t for t in mart_tables()}  # a release-stage table has no dbt model
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    problems = []
    for name, table in published.items():
        assert name in models, f"published table {name} is not a dbt model"
        columns = set(models[name].get("columns") or {}) | set(table.published_columns)
        problems += [f"{name}.{c} is personal data ({register[c]})" for c in sorted(columns & set(register))]
        for col in (models[name].get("columns") or {}).values():
            if (col.get("meta") or {}).get("personal_data"):
                problems.append(f"{name}.{col['name']} is marked personal_data")
    assert problems == []


# --- 3. planted identities reach no output at all (issue 11, class 3) --------------------------------


def _planted(n: int) -> str:
    """An identity as a careless export carries it: a name, an SWE number, an e-mail, a phone."""
    return f"Plantedname{n} SW9{n:05d} plantedname{n}@example.org 07700 9{n:05d}"


PLANTED = re.compile(r"(?i)plantedname|SW9\d{5}|07700 9\d{5}")


def _plant(landing: Path, month_end: str) -> int:
    """Every text column of every export that keeps its values (not pseudonymised, not dropped):
    free text, labels and record identifiers, in two rows of each export's extract for the month.
    Returns how many values were planted."""
    from workforce.spec.contract import EXPORTS, TEXT

    n = 0
    for spec in EXPORTS:
        files = sorted((landing / spec.name).glob(f"{spec.name}_{month_end}.*"))
        for path in files:
            frame = (pd.read_excel(path, dtype=str, keep_default_na=False) if path.suffix == ".xlsx"
                     else pd.read_csv(path, dtype=str, keep_default_na=False))
            columns = [c.name for c in spec.columns
                       if c.type == TEXT and not c.pseudonym and not c.drop and c.name in frame.columns]
            for row in (1, 2)[: len(frame)]:
                for column in columns:
                    n += 1
                    frame.loc[row, column] = _planted(n)
            if path.suffix == ".xlsx":
                frame.to_excel(path, index=False)
            else:
                frame.to_csv(path, index=False)
    return n


def _output_texts(settings) -> dict[str, str]:
    """Every file the pipeline wrote outside the restricted warehouse, as text: published files
    (the BI file's tables cast to text), staged files, quality results, Data Docs, audit records,
    dbt's target and logs."""
    texts: dict[str, str] = {}
    for path in sorted(p for p in settings.data_dir.rglob("*") if p.is_file()):
        if path.is_relative_to(settings.warehouse_path.parent) or path.is_relative_to(settings.landing_dir):
            continue
        if path.is_relative_to(settings.data_dir / "tmp") or path.suffix == ".lock":
            continue
        if path.suffix == ".duckdb":
            texts.update(_duckdb_text(path))
        elif path.suffix == ".parquet":
            texts[str(path)] = pd.read_parquet(path).astype(str).to_csv(index=False)
        else:
            texts[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
    return texts


@pytest.mark.slow
def test_planted_identities_reach_no_output(small_settings, small_landing, caplog, capsys):
    """Identities planted in every free-text, label and record-identifier column of the month's
    extracts: the month still publishes (labels are withheld, not quarantined), and no planted
    value is in any published file, BI table (``audit_log`` too), quality result, Data Docs page,
    audit record, dbt output, log line or console line. The scan is shown to find them in the
    landing files, so it is not vacuous."""
    from workforce.pipeline import run_month

    planted = _plant(small_landing, "2025-09-30")
    assert planted > 40
    landing_text = "".join(p.read_bytes().decode("utf-8", "replace") for p in small_landing.rglob("*.csv"))
    assert len(PLANTED.findall(landing_text)) > planted  # what the scan looks for is there
    lines: list[str] = []
    with caplog.at_level(logging.DEBUG):
        summary = run_month(SMALL_MONTH, small_settings, progress=lines.append)
    assert summary.publish is not None
    texts = _output_texts(small_settings)
    assert any("published" in k for k in texts) and any("data_docs" in k for k in texts)
    texts["progress"] = "\n".join(lines)
    texts["log"] = caplog.text
    texts["console"] = "".join(capsys.readouterr())
    found = sorted({f"{where}: {m}" for where, text in texts.items() for m in PLANTED.findall(text)})
    assert found == []
    con = duckdb.connect(str(small_settings.warehouse_path), read_only=True)
    try:
        withheld = con.execute("SELECT count(*) FROM raw.withheld_values").fetchone()[0]
    finally:
        con.close()
    assert withheld > 20  # the labels and free text were withheld at ingest, with their lines
    report = json.loads((small_settings.quality_dir / SMALL_MONTH / "validation_results.json").read_text())
    assert "no_identity_shaped_labels" in json.dumps(report)
