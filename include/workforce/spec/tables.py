"""The tables published to BI tools and the scrutiny pack, as data.

Each is a dbt mart (``marts.<name>``) with a Great Expectations suite ``published_<name>``
under ``expectations/``. Monthly tables publish the reporting month's rows (``month_end``) and
the BI file keeps every published month; the others are published whole, as of the latest run.
"""

from __future__ import annotations

from dataclasses import dataclass

from workforce.spec.indicators import PUBLISHED_COLUMNS

TABLE = "scrutiny_workforce_monthly"


@dataclass(frozen=True)
class PublishedTable:
    """A mart published to BI tools. Monthly tables publish the reporting month's rows (the BI
    file holds every published month); others publish the whole table as of the latest run."""

    name: str
    monthly: bool = True
    columns: tuple[str, ...] | None = None  # the required column order, where fixed

    @property
    def mart(self) -> str:
        return f"marts.{self.name}"

    @property
    def suite(self) -> str:
        return f"published_{self.name}"


PUBLISHED_TABLES: tuple[PublishedTable, ...] = (
    PublishedTable(TABLE, monthly=True, columns=PUBLISHED_COLUMNS),
    # The scrutiny metric set (metrics.md "Local indicators"): one row per (la_code, month_end,
    # service_area, team_code), plus breakdown and category for leavers; benchmarks whole.
    PublishedTable("scrutiny_caseload_monthly"),
    PublishedTable("scrutiny_leavers_monthly"),
    PublishedTable("scrutiny_retention_monthly"),
    PublishedTable("scrutiny_costs_monthly"),
    PublishedTable("scrutiny_child_stability_monthly"),
    PublishedTable("scrutiny_benchmarks", monthly=False),
)
