"""Targets and RAG ratings: the council's ambitions for published figures, from a YAML file.

The default is ``targets.yml`` beside this module (documented in docs/pack.md); a council points
``WORKFORCE_TARGETS_FILE`` at its own. Every entry names a published table and column of the
catalogue (``spec/catalogue.yml``, which defines the figure; the file only says what the council
aims for), with its ``target``, ``direction`` (``lower`` or ``higher`` is better) and ``amber``
and ``red`` thresholds. The file is validated when it is read: every problem is reported at once,
with the file, the line and the key.

Rating (``Target.rate``), for ``lower`` is better (``higher`` mirrors it):

- Green: the figure is at or below ``amber``;
- Amber: above ``amber``, at or below ``red``;
- Red: above ``red``.

A figure published as a symbol (``c``, ``x``, ``z``) or missing is not rated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from workforce.spec.catalogue import Catalogue, catalogue

DEFAULT_TARGETS_PATH = Path(__file__).with_name("targets.yml")
DIRECTIONS = ("lower", "higher")
RAG = ("Green", "Amber", "Red")
#: Kinds of published column a target can be set for: figures, not keys, labels or sums.
RATEABLE_KINDS = ("rate", "fte", "count", "days", "money", "fte_years", "value")
_KEYS = {"target", "direction", "amber", "red"}


class TargetsError(ValueError):
    """The targets file is not valid: every problem, with file, line and key."""


@dataclass(frozen=True)
class Target:
    table: str
    column: str
    target: float
    direction: str
    amber: float
    red: float

    def worse(self, value: float, than: float) -> bool:
        return value > than if self.direction == "lower" else value < than

    def rate(self, value: Any, status: Any = None) -> str | None:
        """'Green', 'Amber' or 'Red' for a published figure; None for a symbol or no figure."""
        if isinstance(status, str) and status.strip():
            return None
        if value is None or isinstance(value, bool):
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        if math.isnan(number):
            return None
        if self.worse(number, self.red):
            return "Red"
        if self.worse(number, self.amber):
            return "Amber"
        return "Green"

    @property
    def better(self) -> str:
        return "lower is better" if self.direction == "lower" else "higher is better"


@dataclass(frozen=True)
class Targets:
    path: Path
    items: dict[tuple[str, str], Target]

    def get(self, table: str, column: str) -> Target | None:
        return self.items.get((table, column))

    def __iter__(self):
        return iter(self.items.values())

    def __len__(self) -> int:
        return len(self.items)


class _LineLoader(yaml.SafeLoader):
    """Remembers each mapping key's line, for error messages."""


def _mapping_with_lines(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    lines = {}
    for key_node, _value in node.value:
        lines[loader.construct_object(key_node)] = key_node.start_mark.line + 1
    mapping["__lines__"] = lines
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_lines)


def _clean(d: dict) -> dict:
    return {k: v for k, v in d.items() if k not in ("__line__", "__lines__")}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if math.isnan(float(value)) else float(value)


def load_targets(
    path: Path | None = None, cat: Catalogue | None = None, caseload_target: float | None = None
) -> Targets:
    """Read and validate a targets file (default: ``targets.yml`` beside this module).

    ``caseload_target`` (the setting WORKFORCE_CASELOAD_TARGET, which the caseload bands of
    scrutiny_caseload_monthly are computed against): when given, a target for ``caseload_fte``
    must equal it, so the pack never rates caseloads against another number than the tables.
    """
    path = Path(path) if path else DEFAULT_TARGETS_PATH
    cat = cat or catalogue()
    problems: list[str] = []

    def add(line: int | None, where: str, message: str) -> None:
        problems.append(f"{path}{f':{line}' if line else ''}: {where}: {message}")

    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except OSError as exc:
        raise TargetsError(f"{path}: cannot read the targets file: {exc}") from exc
    except yaml.YAMLError as exc:
        raise TargetsError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("targets"), dict):
        raise TargetsError(
            f"{path}: the targets file must be a mapping with a 'targets' mapping (table -> column -> target)"
        )
    unknown_top = set(_clean(raw)) - {"targets"}
    if unknown_top:
        add(raw["__line__"], "top level", f"unknown key(s) {sorted(unknown_top)}; allowed: ['targets']")
    tables = raw["targets"]
    items: dict[tuple[str, str], Target] = {}
    for table_name, columns in _clean(tables).items():
        table_line = tables["__lines__"].get(table_name)
        if table_name not in cat.names:
            add(table_line, f"targets.{table_name}", f"unknown table; the published tables are {list(cat.names)}")
            continue
        table = cat.table(table_name)
        if not isinstance(columns, dict):
            add(table_line, f"targets.{table_name}", "must map published columns to their targets")
            continue
        for column_name, spec in _clean(columns).items():
            where = f"targets.{table_name}.{column_name}"
            line = columns["__lines__"].get(column_name)
            if not table.has_column(column_name):
                add(line, where, f"unknown indicator: {table_name} has no column {column_name!r} in the catalogue")
                continue
            kind = table.column(column_name).kind
            if kind not in RATEABLE_KINDS:
                add(line, where, f"a {kind} column is not a figure a target can be set for")
                continue
            if not isinstance(spec, dict):
                add(line, where, "must be a mapping with target, direction, amber and red")
                continue
            lines = spec["__lines__"]
            given = _clean(spec)
            for key in sorted(set(given) - _KEYS):
                add(lines.get(key), f"{where}.{key}", f"unknown key; allowed: {sorted(_KEYS)}")
            for key in sorted(_KEYS - set(given)):
                add(spec["__line__"], f"{where}.{key}", "is required")
            direction = given.get("direction")
            if "direction" in given and direction not in DIRECTIONS:
                add(lines.get("direction"), f"{where}.direction", f"{direction!r} is not one of {list(DIRECTIONS)}")
            numbers: dict[str, float] = {}
            for key in ("target", "amber", "red"):
                if key in given:
                    number = _number(given[key])
                    if number is None:
                        add(lines.get(key), f"{where}.{key}", f"must be a number, got {given[key]!r}")
                    else:
                        numbers[key] = number
            if len(numbers) < 3 or direction not in DIRECTIONS:
                continue
            t, a, r = numbers["target"], numbers["amber"], numbers["red"]
            if direction == "lower" and not t <= a < r:
                add(
                    lines.get("amber"),
                    where,
                    f"thresholds in the wrong order for 'lower is better': need target <= amber < red, "
                    f"got target {t:g}, amber {a:g}, red {r:g}",
                )
                continue
            if direction == "higher" and not t >= a > r:
                add(
                    lines.get("amber"),
                    where,
                    f"thresholds in the wrong order for 'higher is better': need target >= amber > red, "
                    f"got target {t:g}, amber {a:g}, red {r:g}",
                )
                continue
            if column_name == "caseload_fte" and caseload_target is not None and t != float(caseload_target):
                add(
                    lines.get("target"),
                    f"{where}.target",
                    f"{t:g} differs from WORKFORCE_CASELOAD_TARGET ({caseload_target:g}), which the published caseload "
                    "bands are computed against: set both to the same number",
                )
                continue
            items[(table_name, column_name)] = Target(table_name, column_name, t, direction, a, r)
    if problems:
        raise TargetsError("the targets file is not valid:\n  " + "\n  ".join(problems))
    return Targets(path=path, items=items)
