"""The sample's settings: ``SampleConfig`` and the check that refuses a config that cannot work.

The ``seed`` drives the one random number generator of a run (``state.Council.rng``); with the
clock never read, the same ``SampleConfig`` writes byte-identical files. The config itself is
copied into the ``SAMPLE_DATA.json`` marker (see ``writer``); it feeds no export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workforce.spec import contract

__all__ = ["SampleConfig", "validate"]


@dataclass(frozen=True)
class SampleConfig:
    """What to simulate: the council's size, how much history, and which extracts to write."""

    seed: int = 20260930
    end_month: str = "2026-09"  # last extract month (YYYY-MM); fixed so output is deterministic
    history_years: int = 8
    la_workers: int = 350  # approx LA-employed social workers in post at any time
    agency_workers: int = 120  # approx agency workers engaged at any time
    extracts: int = 12  # monthly extracts (month-end snapshots) ending at end_month
    xlsx_exports: tuple[str, ...] = ("hr_teams", "hr_establishment")  # the rest are .csv
    include_optional: tuple[str, ...] | None = None  # None = every optional export


def validate(cfg: SampleConfig) -> None:
    """Raise ``ValueError`` naming the first field of ``cfg`` that cannot make a sample."""
    if isinstance(cfg.seed, bool) or not isinstance(cfg.seed, int) or cfg.seed < 0:
        raise ValueError(f"seed must be a non-negative whole number, got {cfg.seed!r}")
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(cfg.end_month))
    if not match or not 1 <= int(match.group(2)) <= 12 or not 1990 <= int(match.group(1)) <= 2200:
        raise ValueError(f"end_month must be a month as YYYY-MM (e.g. 2026-09), got {cfg.end_month!r}")
    for name, minimum in (("history_years", 1), ("la_workers", 30), ("agency_workers", 1),
                          ("extracts", 1)):
        value = getattr(cfg, name)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive whole number, got {value!r}")
        if value < minimum:
            raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    if cfg.history_years > 30:
        raise ValueError(f"history_years must be at most 30, got {cfg.history_years!r}")
    if cfg.extracts > 12 * cfg.history_years:
        raise ValueError(f"extracts ({cfg.extracts}) must not exceed the months of history "
                         f"({12 * cfg.history_years})")
    if isinstance(cfg.xlsx_exports, str):
        raise ValueError("xlsx_exports must be a tuple of export names, not a string")
    unknown = [n for n in cfg.xlsx_exports if n not in contract.EXPORTS_BY_NAME]
    if unknown:
        raise ValueError(f"xlsx_exports names unknown exports: {', '.join(unknown)}")
    if cfg.include_optional is not None:
        if isinstance(cfg.include_optional, str):
            raise ValueError("include_optional must be a tuple of export names, not a string")
        bad = [n for n in cfg.include_optional if n not in contract.OPTIONAL_EXPORTS]
        if bad:
            raise ValueError(f"include_optional must name optional exports "
                             f"({', '.join(contract.OPTIONAL_EXPORTS)}); got {', '.join(bad)}")

