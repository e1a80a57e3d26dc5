"""
### Children's social work workforce: statutory returns (restricted outputs)

Two DAGs, thin: the logic is in `include/workforce/returns` (docs/returns.md), the same functions
as `workforce census` and `workforce agency-return`. Both write only to
`$WORKFORCE_DATA_DIR/restricted/` (owner-only); their XComs are counts and paths, never an identity.

- **workforce_census**: on 20 October, the CSWW census XML for the 30 September just past (after
  the monthly run for September has loaded its extracts), validated as COLLECT would. Set the
  `year` param to produce another collection year. The return's shape follows the year given.
- **workforce_agency_return**: on the 20th of January, April, July and October, DfE's quarterly
  agency return for the quarter just ended (`quarter` param, YYYY-Qn, to redo another).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

ARGS = {"owner": "workforce-data-engineering", "retries": 1}


@dag(dag_id="workforce_census", schedule="0 6 20 10 *", start_date=pendulum.datetime(2024, 1, 1, tz="Europe/London"),
     catchup=False, max_active_runs=1, doc_md=__doc__, tags=["workforce", "returns", "census"], default_args=ARGS,
     params={"year": Param(None, type=["null", "integer"], description="collection year; empty = the run date's")})
def workforce_census():
    @task
    def census(**context) -> dict:
        from workforce.config import load_settings
        from workforce.returns.census import produce_census

        year = (context.get("params") or {}).get("year") or (context.get("logical_date") or
                                                            context["dag_run"].run_after).year
        return produce_census(load_settings(), int(year)).to_dict()

    census()


@dag(dag_id="workforce_agency_return", schedule="0 6 20 1,4,7,10 *",
     start_date=pendulum.datetime(2025, 1, 1, tz="Europe/London"), catchup=False, max_active_runs=1,
     doc_md=__doc__, tags=["workforce", "returns", "agency"], default_args=ARGS,
     params={"quarter": Param(None, type=["null", "string"], pattern=r"^[0-9]{4}-Q[1-4]$",
                              description="YYYY-Qn; empty = the quarter before the run date")})
def workforce_agency_return():
    @task
    def agency_return(**context) -> dict:
        from workforce.config import load_settings
        from workforce.returns.agency import previous_quarter, produce_agency_return

        run = context.get("logical_date") or context["dag_run"].run_after
        quarter = (context.get("params") or {}).get("quarter") or previous_quarter(run.date())
        return produce_agency_return(load_settings(), quarter).to_dict()

    agency_return()


workforce_census()
workforce_agency_return()
