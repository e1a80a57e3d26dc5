"""Payroll: each LA employee's monthly pay lines, by pay element.

Basic pay pro rata to the days and FTE of each spell in the month (salaries drawn at
end-of-history rates, less a 3% award for each April back), market supplements, yearly
retention payments after two years in the same post, relocation for overseas recruits, some
overtime and corrections, and the employer's on-costs. Only the months any extract can show
are paid. Feeds ``payroll_lines`` (one row per employee, month and element; an extract holds
the 24 months up to its date).
"""

from __future__ import annotations

from workforce.sample.days import month_end, month_of, month_start, period
from workforce.sample.state import Council, Spell
from workforce.sample.tables import Table, column, int_array
from workforce.spec import contract


class PayLine:
    """The amount and hours (None: an element paid without hours) of one employee, month and element."""

    __slots__ = ("amount", "hours")

    def __init__(self) -> None:
        self.amount = 0.0
        self.hours: float | None = None


def payroll_lines_table(c: Council, spells: list[Spell], first_month: int) -> Table:
    """Pay from ``first_month`` to the end of the history."""
    rng, h1, first_pm = c.rng, c.h1, first_month
    retention_paid: set[tuple[str, int]] = set()
    pay: dict[tuple[str, int, str], PayLine] = {}  # by (employee id, month, element)

    def add_pay(emp: str, pm: int, element: str, amount: float, hours: float | None) -> None:
        line = pay.setdefault((emp, pm, element), PayLine())
        line.amount += amount
        if hours is not None:
            line.hours = (line.hours or 0.0) + hours

    for s in spells:
        last = min(s.end, h1)
        if last < month_start(first_pm):
            continue
        for pm in range(max(first_pm, month_of(s.start)), month_of(last) + 1):
            ms, me = month_start(pm), month_end(pm)
            days = min(me, last) - max(ms, s.start) + 1
            if days <= 0:
                continue
            share = days / (me - ms + 1)
            # salaries are drawn at end-of-history rates: take off a 3% award per April since
            aprils = (c.end_mi - 3) // 12 - (pm - 3) // 12
            salary = s.salary / (1.03 ** aprils)
            basic = salary / 12 * s.fte * share
            add_pay(s.emp_id, pm, "BASIC", basic, 37 * 52 / 12 * s.fte * share)
            if s.supplement:
                add_pay(s.emp_id, pm, "MARKET_SUPPLEMENT", 4000 / 12 * s.fte * share, None)
            months_in_post = pm - month_of(s.post_since)
            if s.grade in ("SW", "SSW") and months_in_post >= 24 and months_in_post % 12 == 0 \
                    and (s.emp_id, pm) not in retention_paid:
                retention_paid.add((s.emp_id, pm))  # yearly, from two years in the same post
                add_pay(s.emp_id, pm, "RETENTION_PAYMENT", 2000.0, None)
            if s.person.overseas and pm == month_of(s.service_start) and s.start == s.service_start:
                add_pay(s.emp_id, pm, "RELOCATION", float(rng.integers(3000, 8001)), None)
    keys = sorted(pay)
    for key in keys:  # elements that depend on the month's basic pay
        emp, pm, element = key
        if element != "BASIC":
            continue
        basic, basic_hours = pay[key].amount, pay[key].hours
        if basic_hours is None:
            raise ValueError(f"basic pay of {emp} in month {pm} has no hours")
        if rng.random() < 0.06:
            hours = float(rng.integers(2, 13))
            add_pay(emp, pm, "OVERTIME", hours * basic / max(basic_hours, 1.0) * 1.5, hours)
        if rng.random() < 0.006:
            add_pay(emp, pm, "OTHER", -float(rng.integers(50, 450)), None)  # a correction
    for key in sorted(pay):
        emp, pm, element = key
        if element == "BASIC":
            supplement = pay.get((emp, pm, "MARKET_SUPPLEMENT"))
            supp = supplement.amount if supplement is not None else 0.0
            add_pay(emp, pm, "EMPLOYER_ONCOST", 0.28 * (pay[key].amount + supp), None)
    order = {e: i for i, e in enumerate(contract.PAY_ELEMENTS)}
    lines = sorted(pay.items(), key=lambda kv: (kv[0][0], kv[0][1], order[kv[0][2]]))
    return Table("payroll_lines", {
        "employee_id": column(k[0] for k, _ in lines),
        "pay_period": column(period(k[1]) for k, _ in lines),
        "pay_element": column(k[2] for k, _ in lines),
        "amount_gbp": column(f"{v.amount:.2f}" for _, v in lines),
        "hours": column(None if v.hours is None else f"{v.hours:.2f}" for _, v in lines),
    }, month=int_array(k[1] for k, _ in lines))

