"""Keyed pseudonyms for personal identifiers, applied at ingest.

Each identifier kind (``staff``, ``child``) gets its own sub-key derived from the secret, so
the same string yields unrelated pseudonyms in different kinds. Values are normalised first
(upper-case, no white space) so ``sw 123456`` and ``SW123456`` link, as the contract requires.
Without the key nothing downstream can recover an identity; with it, only by guessing inputs.

The key comes from ``WORKFORCE_PSEUDONYMISATION_KEY`` or, when that is unset and Airflow is
installed, from the password of the Airflow connection ``workforce_pseudonymisation`` (so a
deployment can keep it in Airflow's encrypted connection store or a secrets backend). The key is
never logged, returned in a report or written anywhere: only the HMAC outputs leave this module.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import logging
import os
import re
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from workforce.config import DEMO_PSEUDONYMISATION_KEY, SAMPLE_MARKER, Settings

log = logging.getLogger(__name__)

#: "label": the replacement of an identity-shaped label or free text (``ingest.rules.IDENTITY_SHAPED``).
KINDS = ("staff", "child", "label")
MIN_KEY_LENGTH = 32
#: Airflow connection whose password holds the key when the environment variable is unset.
AIRFLOW_CONNECTION_ID = "workforce_pseudonymisation"
_WHITESPACE = re.compile(r"\s+")


class PseudonymisationKeyError(RuntimeError):
    """No usable key: the run must not start."""


def is_sample_landing(landing_dir: Path) -> bool:
    """True when the landing folder was written by ``workforce generate``."""
    marker = landing_dir / SAMPLE_MARKER
    if not marker.is_file():
        return False
    try:
        content = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(content, dict) and (
        content.get("synthetic") is True or content.get("generator") == "workforce.generate"
    )


def airflow_connection_key(conn_id: str = AIRFLOW_CONNECTION_ID) -> str | None:
    """The password of Airflow connection ``conn_id``, or None (no Airflow, no such connection).

    Airflow is asked only when it is installed and either already loaded (the step runs in an
    Airflow task) or the connection is given as ``AIRFLOW_CONN_WORKFORCE_PSEUDONYMISATION``, so
    ``workforce run`` never imports it (that would create ``$AIRFLOW_HOME``). Airflow registers
    connection passwords with its secrets masker, so the key is also masked in task logs.
    Failures are logged by exception type only, never with a value.
    """
    in_airflow = "airflow" in sys.modules or bool(os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}"))
    if not in_airflow or importlib.util.find_spec("airflow") is None:
        return None
    try:
        from airflow.sdk import Connection

        conn = Connection.get(conn_id)
    except Exception as exc:  # noqa: BLE001 - any lookup failure means "no key from Airflow"
        log.debug("no Airflow connection %s (%s)", conn_id, type(exc).__name__)
        return None
    password = getattr(conn, "password", None)
    if password is None or not str(password).strip():
        return None
    return str(password).strip()


def _configured_key(settings: Settings) -> tuple[str | None, str]:
    """The configured key and where it came from (for messages; never the value)."""
    if settings.pseudonymisation_key is not None:
        return settings.pseudonymisation_key, "WORKFORCE_PSEUDONYMISATION_KEY"
    key = airflow_connection_key()
    if key is not None:
        return key, f"the Airflow connection {AIRFLOW_CONNECTION_ID!r}"
    return None, "WORKFORCE_PSEUDONYMISATION_KEY"


def resolve_key(settings: Settings) -> bytes:
    """The key for this run, refusing the demo key (or none) on anything but sample data."""
    sample = is_sample_landing(settings.landing_dir)
    key, source = _configured_key(settings)
    if key is None:
        if sample:
            log.warning(
                "WORKFORCE_PSEUDONYMISATION_KEY is not set: using the labelled DEMO key, "
                "accepted only because %s marks the landing folder as synthetic sample data",
                SAMPLE_MARKER,
            )
            return DEMO_PSEUDONYMISATION_KEY.encode()
        raise PseudonymisationKeyError(
            "WORKFORCE_PSEUDONYMISATION_KEY is not set (nor the password of the Airflow connection "
            f"{AIRFLOW_CONNECTION_ID!r}). Real exports hold personal data and "
            "are only read with a secret key (at least 32 characters, e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`), kept outside the repo."
        )
    if key == DEMO_PSEUDONYMISATION_KEY and not sample:
        raise PseudonymisationKeyError(
            f"The key from {source} is the public demo key, which is only for generated "
            f"sample data; {settings.landing_dir} has no {SAMPLE_MARKER} marker. Set a secret key."
        )
    if len(key) < MIN_KEY_LENGTH and not sample:
        raise PseudonymisationKeyError(
            f"The key from {source} is too short ({len(key)} characters); use at least {MIN_KEY_LENGTH}."
        )
    return key.encode()


def normalise_identifier(value: str) -> str:
    return _WHITESPACE.sub("", value).upper()


class Pseudonymiser:
    """HMAC-SHA256 per identifier kind; 64 lower-case hex characters out. Each distinct value is
    hashed once per run (monthly extracts repeat most of them)."""

    def __init__(self, key: bytes):
        if not key:
            raise PseudonymisationKeyError("empty pseudonymisation key")
        self._cache: dict[tuple[str, str], str | None] = {}  # monthly extracts repeat most values
        subkeys = {
            kind: hmac.new(key, f"workforce-pseudonym-v1:{kind}".encode(), hashlib.sha256).digest()
            for kind in KINDS
        }
        # one keyed HMAC state per kind, copied per value (the key schedule is done once)
        self._macs = {kind: hmac.new(subkey, digestmod=hashlib.sha256) for kind, subkey in subkeys.items()}

    def __repr__(self) -> str:  # never show key material
        return "Pseudonymiser(<key hidden>)"

    def pseudonym(self, kind: str, value: str | None) -> str | None:
        if value is None:
            return None
        cached = self._cache.get((kind, value), _MISSING)
        if cached is not _MISSING:
            return cached  # type: ignore[return-value]
        try:
            base = self._macs[kind]
        except KeyError:
            raise ValueError(f"unknown identifier kind {kind!r}; expected one of {KINDS}") from None
        normalised = normalise_identifier(str(value))
        result = None
        if normalised:
            mac = base.copy()
            mac.update(normalised.encode())
            result = mac.hexdigest()
        self._cache[(kind, value)] = result
        return result

    def mapping(self, kind: str, values: Iterable[str]) -> list[str | None]:
        """Pseudonyms of ``values`` (a column's distinct values), in order."""
        return [self.pseudonym(kind, v) for v in values]


_MISSING = object()


AGE_BAND_EDGES = ((25, "Under 25"), (30, "25-29"), (40, "30-39"), (50, "40-49"), (55, "50-54"), (60, "55-59"))


def age_band(date_of_birth: date | None, as_at: date) -> str | None:
    """CSWW-style age band at ``as_at``; the date of birth itself is never stored."""
    if date_of_birth is None:
        return None
    age = as_at.year - date_of_birth.year - ((as_at.month, as_at.day) < (date_of_birth.month, date_of_birth.day))
    for upper, label in AGE_BAND_EDGES:
        if age < upper:
            return label
    return "60+"
