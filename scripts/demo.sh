#!/usr/bin/env bash
# End-to-end demo on the embedded default: generated sample exports, DuckDB warehouse,
# SQLite Airflow metadata, one real Airflow run of the monthly DAG (`airflow dags test`).
# Run through `make demo`, which installs everything first.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

export WORKFORCE_DATA_DIR="${WORKFORCE_DATA_DIR:-$root/data}"
export WORKFORCE_LANDING_DIR="${WORKFORCE_LANDING_DIR:-$WORKFORCE_DATA_DIR/landing}"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$root/.airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="$root/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///$AIRFLOW_HOME/airflow.db"
export AIRFLOW__LOGGING__LOGGING_LEVEL="${AIRFLOW__LOGGING__LOGGING_LEVEL:-INFO}"
month="${WORKFORCE_DEMO_MONTH:-2026-09}"
mkdir -p "$AIRFLOW_HOME" "$WORKFORCE_DATA_DIR"

step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

if [ -z "$(ls -A "$WORKFORCE_LANDING_DIR" 2>/dev/null)" ] || [ -f "$WORKFORCE_LANDING_DIR/SAMPLE_DATA.json" ]; then
  step "Generating sample exports into $WORKFORCE_LANDING_DIR"
  workforce generate --end-month "$month"
else
  step "Using the exports already in $WORKFORCE_LANDING_DIR (not sample data: WORKFORCE_PSEUDONYMISATION_KEY must be set)"
fi

step "Preparing Airflow metadata (SQLite in $AIRFLOW_HOME)"
airflow db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 || { cat "$AIRFLOW_HOME/db-migrate.log"; exit 1; }

# The DAG reports the month before its run date; run it as the scheduler would on the 3rd.
run_date=$(python -c "import datetime as d,sys; y,m=map(int,sys.argv[1].split('-')); print(d.date(y+m//12, m%12+1, 3))" "$month")
step "Running DAG workforce_monthly for $month (airflow dags test, logical date $run_date)"
log="$AIRFLOW_HOME/dags-test-$month.log"
marker="$AIRFLOW_HOME/.run-started"
touch "$marker"
set +e
# Show the pipeline's own progress (logger airflow.task), task boundaries and errors; all in $log.
airflow dags test workforce_monthly "$run_date" -c "{\"reporting_month\": \"$month\"}" 2>&1 | tee "$log" \
  | grep --line-buffered -E "\[airflow\.task\]|DAG TEST\] starting|DagRun Finished|\[error|Traceback|Error:" \
  | sed -u -E 's/^[0-9T:.-]+Z //; s/^\[info +\] //; s/ +\[airflow\.task\].*$//; s/\[DAG TEST\] starting task_id=([a-z_]+).*/--- task \1/; s/(DagRun Finished).*(state=[a-z]+).*/\1: \2/'
set -e
published="$WORKFORCE_DATA_DIR/published"
csv="$published/$month/scrutiny_workforce_monthly.csv"
if ! grep -qE "DagRun Finished: .*state=success" "$log" || ! grep -q "end task task_id=publish" "$log" \
   || [ ! -f "$csv" ] || [ "$csv" -ot "$marker" ]; then
  echo "The DAG run did not publish $month; full log: $log" >&2
  exit 1
fi

step "Done in $(( $(date +%s) - started ))s. Published for $month:"
echo "  BI warehouse (DuckDB, open read-only): $published/workforce.duckdb"
echo "  Tables for $month (CSV + Parquet) and the audit record: $published/$month/"
for f in "$published/$month"/*.csv; do echo "    $(basename "$f" .csv)"; done
echo "  Scrutiny pack (PDF, HTML, officers' XLSX): $published/$month/pack/"
echo "  Audit record: .venv/bin/workforce audit --month $month   (also $published/$month/audit.json)"
echo "  Quality results: $WORKFORCE_DATA_DIR/quality/$month/"
echo "  Airflow log of the run: $log"
