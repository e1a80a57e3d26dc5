"""Statutory returns from the pipeline's data (issue 14; docs/returns.md).

- ``census``: the CSWW census XML of a collection year (``workforce census --year 2025``) and the
  monthly readiness report; ``years`` (the message shape per year and its XSD), ``records`` (the
  pseudonymised records from the warehouse), ``identities`` (SWE numbers and dates of birth
  re-read from the landing files with the key), ``message`` (write and read the XML),
  ``validate`` (XSD and cross-field rules, as COLLECT reports them).
- ``agency``: DfE's quarterly agency return (``workforce agency-return --quarter 2025-Q1``).
- ``restricted``: the owner-only folder every person-level output goes to, and the audit trail.
"""
