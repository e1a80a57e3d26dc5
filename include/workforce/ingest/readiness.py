"""Which extract serves a month, and whether the month can be computed at all.

The rule (``docs/spec/export-contract.md``, "Which extract serves a month"): for reporting month
M, an export is served by its latest extract dated inside M's window, from
``WORKFORCE_EXTRACT_WINDOW_DAYS_BEFORE`` days before M's last day to
``WORKFORCE_EXTRACT_WINDOW_DAYS_AFTER`` days after it (defaults 7 and 14: a snapshot taken in the
month's last week, or in the first two weeks after it, when exports usually land). The two add up
to at most 27 days, so no extract can serve two months.

A month is *ready* when every required export has an extract in its window. A month that is not
ready is never computed from an earlier month's extracts: ``workforce run`` stops before loading
anything, naming each export and the newest extract found, and the DAG's ``wait_for_exports``
sensor waits for them. An optional export with no extract in the window is reported, and the
figures that need it publish as ``x``.

Backcast (``docs/decisions/0012-history-for-trends.md``): a trend month published by a later month's
run (``pipeline.step_history``) may precede the council's first extract, as every month does on a
fresh install with one extract. Such a month is computed from each export's earliest extract dated
after its window. ``assess(..., backcast=True)`` applies that rule to every export with no extract
in the window; ``assess_history`` decides when it applies: only when each required export missing
from the window has no extract dated before it (the month precedes the export's first extract). A
month with an extract before and after its window but none in it is a gap, never backcast. The dbt
macro ``latest_extract()`` (dbt var ``backcast``) and ``model.capture.serving_extracts`` apply the
same rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from workforce.config import Settings
from workforce.spec.contract import EXPORTS


def window(settings: Settings, month_end: date) -> tuple[date, date]:
    """First and last extract date that can serve the month ending ``month_end``."""
    return (
        month_end - timedelta(days=settings.extract_window_days_before),
        month_end + timedelta(days=settings.extract_window_days_after),
    )


@dataclass
class Readiness:
    month_end: date
    window: tuple[date, date]
    serving: dict[str, str] = field(default_factory=dict)  # export -> relative path of the serving extract
    serving_dates: dict[str, date] = field(default_factory=dict)
    missing_required: list[str] = field(default_factory=list)
    missing_optional: list[str] = field(default_factory=list)
    newest_found: dict[str, date] = field(default_factory=dict)
    oldest_found: dict[str, date] = field(default_factory=dict)
    #: True: the exports missing from the window are served by their earliest later extract.
    backcast: bool = False

    @property
    def ready(self) -> bool:
        return not self.missing_required

    def problems(self, landing_dir: Path | None = None) -> list[str]:
        """One line per required export without an extract of its own for the month."""
        return [self._line(name, True, landing_dir) for name in self.missing_required]

    def warnings(self) -> list[str]:
        return [self._line(name, False, None) for name in self.missing_optional]

    def _line(self, name: str, required: bool, landing_dir: Path | None) -> str:
        first, last = self.window
        newest = self.newest_found.get(name)
        found = f"the newest extract found is dated {newest}" if newest else "no extract of it was found"
        where = f" in {landing_dir / name}" if landing_dir else ""
        text = (
            f"{'required' if required else 'optional'} export '{name}' has no extract for the month ending "
            f"{self.month_end} (dated {first} to {last}){where}: {found}"
        )
        return text if required else text + "; its figures publish as 'x'"

    def to_dict(self) -> dict:
        return {
            "month_end": self.month_end.isoformat(),
            "window": [d.isoformat() for d in self.window],
            "ready": self.ready,
            "backcast": self.backcast,
            "serving": dict(sorted(self.serving.items())),
            "missing_required": self.missing_required,
            "missing_optional": self.missing_optional,
            "newest_found": {k: v.isoformat() for k, v in sorted(self.newest_found.items())},
        }


def landing_files(settings: Settings) -> list:
    """The extracts in the landing folder, as ``ingest.extract.discover`` finds them."""
    from workforce.ingest.extract import discover
    from workforce.ingest.profile import load_profile

    files, _ignored = discover(settings.landing_dir, profile=load_profile(settings.profile))
    return files


def assess(settings: Settings, month_end: date, files=None, backcast: bool = False) -> Readiness:
    """The month's readiness from the landing folder (or from already discovered ``files``).
    ``backcast``: an export with no extract in the window is served by its earliest later one."""
    if files is None:
        files = landing_files(settings)
    first, last = window(settings, month_end)
    result = Readiness(month_end=month_end, window=(first, last), backcast=backcast)
    later: dict[str, tuple[date, str]] = {}
    for lf in files:
        name = lf.export.name
        result.newest_found[name] = max(result.newest_found.get(name, lf.extract_date), lf.extract_date)
        result.oldest_found[name] = min(result.oldest_found.get(name, lf.extract_date), lf.extract_date)
        if first <= lf.extract_date <= last and (
            name not in result.serving_dates or lf.extract_date >= result.serving_dates[name]
        ):
            result.serving_dates[name] = lf.extract_date
            result.serving[name] = lf.source_file
        elif lf.extract_date > last and (name not in later or lf.extract_date < later[name][0]):
            later[name] = (lf.extract_date, lf.source_file)
    if backcast:
        for name, (day, source_file) in later.items():
            if name not in result.serving:
                result.serving_dates[name], result.serving[name] = day, source_file
    for spec in EXPORTS:
        if spec.name not in result.serving:
            (result.missing_required if spec.required else result.missing_optional).append(spec.name)
    return result


def assess_history(settings: Settings, month_end: date, files=None) -> Readiness:
    """A trend month's readiness: served by its own extracts when it can be; else, when it precedes
    the first extract of every required export it lacks, a backcast (``backcast`` set); else the
    month is a gap and the result is not ready (its ``problems`` say which exports)."""
    if files is None:
        files = landing_files(settings)
    own = assess(settings, month_end, files)
    if own.ready:
        return own
    first, _last = own.window
    if any(name in own.oldest_found and own.oldest_found[name] < first for name in own.missing_required):
        return own  # an extract before the window and none in it: a gap, not a backcast
    back = assess(settings, month_end, files, backcast=True)
    return back if back.ready else own
