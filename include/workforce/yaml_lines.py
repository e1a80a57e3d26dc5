"""YAML config files that say where a problem is: each mapping remembers its line.

Used by the files people write by hand (the catalogue, mapping profiles), so that every problem
is reported as ``<file>:<line>: <place>: <message>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # base chosen at run time
    """A YAML loader that remembers each mapping's line, for error messages."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def load_yaml_with_lines(text: str) -> Any:
    """Parse YAML safely; every mapping gets ``__line__`` (1-based). Raises ``yaml.YAMLError``."""
    return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass


class Problems:
    """Problems found in one file, each with the line of the mapping it concerns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, where: dict | None, place: str, message: str) -> None:
        line = where.get("__line__") if isinstance(where, dict) else None
        self.items.append(f"{self.path.name}{f':{line}' if line else ''}: {place}: {message}")


def clean(d: dict) -> dict:
    """The mapping without its ``__line__``."""
    return {k: v for k, v in d.items() if k != "__line__"}


def check_keys(raw: dict, place: str, allowed: set[str], required: tuple[str, ...], problems: Problems) -> None:
    """Report keys the schema does not know, and required keys that are missing or empty."""
    unknown = set(clean(raw)) - allowed
    if unknown:
        problems.add(raw, place, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    for key in required:
        if not raw.get(key):
            problems.add(raw, place, f"'{key}' is required")
