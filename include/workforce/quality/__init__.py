"""The data-quality gate: Great Expectations suites over the raw exports and the published tables.

Modules by job:

- ``suites``: find, read and check the suite JSON files under ``expectations/``;
- ``checks``: derived checks (rules no built-in expectation expresses) as helper columns;
- ``runner``: run a suite with GX over a dataframe, or over each raw export's latest extract;
- ``results``: check outcomes, the gate (``raise_on_failure`` / ``QualityGateError``) and rows;
- ``history``: the warehouse history tables of every run's outcomes;
- ``data_docs``: the run's results as GX Data Docs (static HTML);
- ``reuse``: stored results, reused when a suite meets exactly the same data again;
- ``gx_speedups``: GX without its per-keyword configuration rebuilds (same results, faster).

Great Expectations is imported only inside the functions that run it: importing any module
here (and so the pipeline and the Airflow DAG) stays cheap, and a run whose every result is
reused never imports it.
"""
