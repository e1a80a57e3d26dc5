"""Great Expectations, without rebuilding an expectation's configuration once per keyword.

In GX 1.24, ``Expectation._get_domain_kwargs``, ``_get_success_kwargs`` and
``_get_runtime_kwargs`` read ``self.configuration`` once per keyword, and that property builds a
new ``ExpectationConfiguration`` from the expectation's pydantic ``dict()`` on every access.
GX calls these methods for every metric of every expectation, so a validation spends most of its
time there: about 120 configurations built per expectation, over half the validate step on the
default sample (published suites have up to 130 expectations on 10 rows).

``install`` replaces the three methods with versions that build the configuration once per call
and read every keyword from it, as the originals do from their many copies: the same values, the
same defaults and the same errors (an expectation class overriding one of them keeps GX's way).
It patches only the GX versions they were compared with (``CHECKED``); another version keeps
GX's own methods and is only slower. ``tests/quality/test_gx_speedups.py`` checks both give the
same kwargs for every expectation of every suite, and the same validation results.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

#: GX versions whose three methods the replacements below were compared with.
CHECKED = ("1.24.1",)

#: GX's own methods, kept so the patch can be undone (tests compare both).
ORIGINALS: dict[str, Any] = {}


def _domain_kwargs(self, kwargs: dict | None = None) -> dict:
    if kwargs is None:
        kwargs = self.configuration.kwargs
    domain_kwargs = {key: kwargs.get(key, self._get_default_value(key)) for key in self.domain_keys}
    missing = set(self.domain_keys) - set(domain_kwargs.keys())
    if missing:
        from great_expectations.exceptions import InvalidExpectationKwargsError

        raise InvalidExpectationKwargsError(f"Missing domain kwargs: {list(missing)}")
    return domain_kwargs


def _success_kwargs(self, kwargs: dict | None = None) -> dict:
    if type(self)._get_domain_kwargs is not _domain_kwargs:  # a subclass of its own: GX's way
        return ORIGINALS["_get_success_kwargs"](self)
    if kwargs is None:
        kwargs = self.configuration.kwargs
    domain_kwargs = _domain_kwargs(self, kwargs)
    success_kwargs = {key: kwargs.get(key, self._get_default_value(key)) for key in self.success_keys}
    success_kwargs.update(domain_kwargs)
    return success_kwargs


def _success_kwarg(self, kwargs: dict, key: str) -> Any:
    """``Expectation._get_success_kwarg(key)`` (default None), reading the given kwargs."""
    if key in kwargs:
        return kwargs[key]
    field = self.__fields__.get(key)
    if field is not None:
        return field.default if not field.required else None
    return ORIGINALS["_get_success_kwarg"](self, key)  # GX's own warning for an unknown key


def _runtime_kwargs(self, runtime_configuration: dict | None = None) -> dict:
    cls = type(self)
    if cls._get_success_kwargs is not _success_kwargs or cls._get_domain_kwargs is not _domain_kwargs:
        return ORIGINALS["_get_runtime_kwargs"](self, runtime_configuration)  # a subclass's own: GX's way
    runtime_configuration = runtime_configuration or {}
    kwargs = self.configuration.kwargs
    success_kwargs = _success_kwargs(self, kwargs)
    runtime_kwargs = {
        key: runtime_configuration.get(key, _success_kwarg(self, kwargs, key)) for key in self.runtime_keys
    }
    runtime_kwargs.update(success_kwargs)
    runtime_kwargs["result_format"] = ORIGINALS["parse_result_format"](runtime_kwargs["result_format"])
    return runtime_kwargs


_REPLACEMENTS = {
    "_get_domain_kwargs": _domain_kwargs,
    "_get_success_kwargs": _success_kwargs,
    "_get_runtime_kwargs": _runtime_kwargs,
}


def install() -> bool:
    """Patch GX's ``Expectation`` (once per process); False, and GX unchanged, on another version."""
    import great_expectations as gx
    from great_expectations.expectations import expectation as gx_expectation

    Expectation = gx_expectation.Expectation
    if ORIGINALS:
        return True
    if gx.__version__ not in CHECKED:
        log.info("quality: GX %s is not one the speed-ups were checked with (%s); not applied",
                 gx.__version__, ", ".join(CHECKED))
        return False
    for name in (*_REPLACEMENTS, "_get_success_kwarg"):
        ORIGINALS[name] = getattr(Expectation, name)
    ORIGINALS["parse_result_format"] = gx_expectation.parse_result_format
    for name, replacement in _REPLACEMENTS.items():
        setattr(Expectation, name, replacement)
    return True


def uninstall() -> None:
    """Put GX's own methods back (tests)."""
    from great_expectations.expectations.expectation import Expectation

    for name in _REPLACEMENTS:
        if name in ORIGINALS:
            setattr(Expectation, name, ORIGINALS[name])
    ORIGINALS.clear()
