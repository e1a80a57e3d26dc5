#!/usr/bin/env bash
# Times `airflow dags test` of the real workforce_monthly DAG against the Cosmos WATCHER variant
# (workforce_monthly_cosmos.py next to this script) on the same generated sample exports.
#
#   bash scripts/cosmos_experiment/measure.sh            # 2 runs of each
#   RUNS=1 bash scripts/cosmos_experiment/measure.sh
#
# Everything is written under $COSMOS_EXP_DIR (default $TMPDIR/cosmos_exp): one generated landing
# folder, the dbt manifest (dbt parse), and per run a fresh copy of the data dir plus a fresh
# AIRFLOW_HOME with SQLite metadata. Wall time covers `airflow dags test` only (db migrate and
# pool creation are done before the clock starts). Task timings come from the task_instance
# table of each run's metadata DB.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
exp="$root/scripts/cosmos_experiment"
work="${COSMOS_EXP_DIR:-${TMPDIR:-/tmp}/cosmos_exp}"
runs="${RUNS:-2}"
month="2026-09"
logical_date="2026-10-03"
conf="{\"reporting_month\": \"$month\"}"
variants="${VARIANTS:-real cosmos}"

export PATH="$root/.venv/bin:$PATH"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__LOGGING__LOGGING_LEVEL=INFO
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
export AIRFLOW__COSMOS__CACHE_DIR="$work/cosmos-cache"
unset WORKFORCE_PSEUDONYMISATION_KEY || true

rm -rf "$work"
mkdir -p "$work"
seed="$work/seed"

echo "==> generating the default sample exports once into $seed"
t0=$(date +%s.%N)
WORKFORCE_DATA_DIR="$seed" WORKFORCE_LANDING_DIR="$seed/landing" workforce generate >"$work/generate.log" 2>&1
echo "    generate: $(python -c "print(f'{$(date +%s.%N)-$t0:.1f}s')")"

echo "==> dbt parse -> $work/manifest/manifest.json"
export COSMOS_EXP_MANIFEST="$work/manifest/manifest.json"
export COSMOS_EXP_SENSOR_MODE=reschedule  # see workforce_monthly_cosmos.py: dags test + deferrable sensors deadlock
t0=$(date +%s.%N)
( cd "$root/dbt_project" && \
  WORKFORCE_WAREHOUSE_PATH="$seed/warehouse/workforce.duckdb" DBT_PROFILES_DIR="$root/dbt_project" \
  dbt parse --project-dir "$root/dbt_project" --target-path "$work/manifest" --log-path "$work/manifest/logs" \
  >"$work/dbt-parse.log" 2>&1 ) || { cat "$work/dbt-parse.log"; exit 1; }
echo "    dbt parse: $(python -c "print(f'{$(date +%s.%N)-$t0:.1f}s')")"

echo "==> DAG file import time (python, cold-ish; includes airflow.sdk import)"
for v in $variants; do
  if [ "$v" = real ]; then f="$root/dags/workforce_monthly.py"; else f="$exp/workforce_monthly_cosmos.py"; fi
  for i in 1 2; do
    t0=$(date +%s.%N)
    WORKFORCE_DATA_DIR="$seed" WORKFORCE_LANDING_DIR="$seed/landing" AIRFLOW_HOME="$work/import-home" \
      python -c "import runpy,sys; runpy.run_path(sys.argv[1])" "$f" >/dev/null 2>&1
    echo "    $v import #$i: $(python -c "print(f'{$(date +%s.%N)-$t0:.2f}s')")"
  done
done

summary="$work/summary.tsv"
printf 'variant\trun\twall_s\ttransform_s\ttask_instances\tstate\tcsv_sha256\n' >"$summary"

for i in $(seq 1 "$runs"); do
  for v in $variants; do
    run="$work/$v-$i"
    mkdir -p "$run"
    cp -a "$seed" "$run/data"
    export WORKFORCE_DATA_DIR="$run/data" WORKFORCE_LANDING_DIR="$run/data/landing"
    export AIRFLOW_HOME="$run/airflow"
    export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$AIRFLOW_HOME/airflow.db"
    if [ "$v" = real ]; then
      export AIRFLOW__CORE__DAGS_FOLDER="$root/dags"; dag=workforce_monthly
    else
      export AIRFLOW__CORE__DAGS_FOLDER="$exp"; dag=workforce_monthly_cosmos
    fi
    mkdir -p "$AIRFLOW_HOME"
    airflow db migrate >"$run/db-migrate.log" 2>&1 || { tail -30 "$run/db-migrate.log"; exit 1; }
    airflow pools set workforce_warehouse 1 "DuckDB warehouse: one writer at a time" >/dev/null 2>&1

    echo "==> run $i: $v ($dag), data $run/data"
    t0=$(date +%s.%N)
    set +e
    airflow dags test "$dag" "$logical_date" -c "$conf" >"$run/dags-test.log" 2>&1
    rc=$?
    set -e
    wall=$(python -c "print(f'{$(date +%s.%N)-$t0:.1f}')")
    csv="$run/data/published/$month/scrutiny_workforce_monthly.csv"
    sha=missing; [ -f "$csv" ] && sha=$(sha256sum "$csv" | cut -c1-12)

    # Task instances and the transform step / task group duration from the metadata DB.
    read -r transform_s n_ti state < <(python - "$AIRFLOW_HOME/airflow.db" "$dag" <<'PY'
import sqlite3, sys
from datetime import datetime
db, dag = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db)
rows = con.execute(
    "select task_id, start_date, end_date, state from task_instance where dag_id=?", (dag,)
).fetchall()
def ts(s):
    return datetime.fromisoformat(str(s).replace("Z", "+00:00")) if s else None
tr = [(ts(s), ts(e)) for t, s, e, _ in rows if (t == "transform" or t.startswith("transform.")) and s and e]
secs = (max(e for _, e in tr) - min(s for s, _ in tr)).total_seconds() if tr else float("nan")
run_state = con.execute("select state from dag_run where dag_id=?", (dag,)).fetchone()
print(f"{secs:.1f} {len(rows)} {run_state[0] if run_state else 'none'}")
PY
)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$v" "$i" "$wall" "$transform_s" "$n_ti" "$state" "$sha" >>"$summary"
    echo "    exit $rc, dag run $state, wall ${wall}s, transform ${transform_s}s, $n_ti task instances, csv $sha"
    # Per-task durations (for the README) and dbt's own elapsed time.
    python - "$AIRFLOW_HOME/airflow.db" "$dag" >"$run/task-durations.txt" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
for t, d, s in con.execute(
    "select task_id, duration, state from task_instance where dag_id=? order by start_date", (sys.argv[2],)
):
    print(f"{t}\t{d if d is None else round(d, 2)}\t{s}")
PY
    grep -hoE "(transform: [0-9]+ dbt nodes built and tested in [0-9.]+s|Finished running .*seconds\)?|Done\. PASS=[0-9]+.*)" \
      "$run/dags-test.log" | sort -u | sed 's/^/    dbt: /' || true
  done
done

echo
echo "==> summary ($summary)"
column -t -s $'\t' "$summary"

echo
echo "==> published CSV identical? (cmp against the first run that published one)"
ref=""
for i in $(seq 1 "$runs"); do
  for v in $variants; do
    f="$work/$v-$i/data/published/$month/scrutiny_workforce_monthly.csv"
    if [ ! -f "$f" ]; then echo "    $v-$i: no CSV (run failed?)"; continue; fi
    if [ -z "$ref" ]; then ref="$f"; refname="$v-$i"; echo "    $v-$i: reference"; continue; fi
    if cmp -s "$ref" "$f"; then echo "    $v-$i: identical to $refname"; else echo "    $v-$i: DIFFERS from $refname ($(cmp "$ref" "$f" | head -1))"; fi
  done
done
