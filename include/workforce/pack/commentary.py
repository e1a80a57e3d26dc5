"""The pack's commentary: what changed and by how much, in sentences built from the figures.

It states only what the published figures show (a value, its change, its rating against the
council's target, how many teams are over the caseload target) and never a cause: the reasons
are for officers and members to give. Every number in it is one shown elsewhere in the pack.
"""

from __future__ import annotations

from workforce.pack.data import Published, Tile, figure_text, is_number, long_date, number_text, symbol_of
from workforce.spec.catalogue import catalogue


def _tile_sentence(tile: Tile, published: Published) -> str:
    title = tile.headline.title
    when = long_date(published.month.end)
    if tile.value is None:
        return (
            f"{title}: no figure is published for {when} ({tile.text}: "
            f"{tile.symbol_meaning or 'not available'}), so it is not rated."
        )
    sentence = f"{title} was {tile.text} on {when}"
    if tile.target is not None and tile.rag:
        sentence += f", rated {tile.rag} against a target of {tile.target_text} ({tile.target.better})"
    changes = [c for c in tile.changes if c.delta is not None]
    if changes:
        sentence += "; " + " and ".join(f"{c.text} {c.label[0].lower()}{c.label[1:]}" for c in changes)
    return sentence + "."


def caseload_sentence(published: Published) -> str | None:
    df = published.this_month("scrutiny_caseload_monthly")
    council = df[df["breakdown_level"] == "council"]
    teams = df[df["breakdown_level"] == "team"]
    if council.empty or teams.empty:
        return None
    target = float(council["caseload_target"].iloc[0])
    shown = teams[
        [
            is_number(v) and not symbol_of(s)
            for v, s in zip(teams["caseload_fte"], teams["caseload_fte_status"], strict=True)
        ]
    ]
    over = shown[shown["caseload_fte"] > target]
    row = council.iloc[0]
    column = catalogue().table("scrutiny_caseload_monthly").column("pct_case_holders_over_target")
    share = figure_text(row["pct_case_holders_over_target"], row["pct_case_holders_over_target_status"], column)
    return (
        f"{len(over)} of {len(shown)} teams with a published average caseload were over the target of {target:g} "
        f"cases per FTE on {long_date(published.month.end)}; {share} of case holders were over it."
    )


def stability_sentence(published: Published) -> str | None:
    row = published.council_row("scrutiny_child_stability_monthly", published.month)
    if row is None:
        return None
    table = catalogue().table("scrutiny_child_stability_monthly")
    pct = figure_text(
        row["pct_children_3plus_workers_12m"],
        row["pct_children_3plus_workers_12m_status"],
        table.column("pct_children_3plus_workers_12m"),
    )
    n = figure_text(
        row["children_3plus_workers_12m"],
        row["children_3plus_workers_12m_status"],
        table.column("children_3plus_workers_12m"),
    )
    d = figure_text(row["children_open"], row["children_open_status"], table.column("children_open"))
    return (
        f"{pct} of children with an allocated social worker ({n} of {d}) had 3 or more social workers in the 12 months."
    )


def agency_sentence(published: Published) -> str | None:
    row = published.council_row("scrutiny_costs_monthly", published.month)
    if row is None:
        return None
    table = catalogue().table("scrutiny_costs_monthly")
    spend = row["agency_spend_gbp_12m"]
    premium = row["agency_premium_gbp_per_fte_12m"]
    if not is_number(spend) or symbol_of(row["agency_spend_gbp_12m_status"]):
        return "Agency spend is not available for the 12 months (x: the agency timesheet export is missing)."
    text = f"Agency spend in the 12 months was {number_text(float(spend), table.column('agency_spend_gbp_12m'))}"
    if is_number(premium) and not symbol_of(row["agency_premium_gbp_per_fte_12m_status"]):
        text += (
            f"; a year of agency cover cost "
            f"{number_text(float(premium), table.column('agency_premium_gbp_per_fte_12m'))}"
            " more than a year of a council-employed worker"
        )
    return text + "."


def commentary(published: Published, tiles: list[Tile]) -> list[str]:
    lines = [_tile_sentence(t, published) for t in tiles]
    for extra in (caseload_sentence(published), stability_sentence(published), agency_sentence(published)):
        if extra:
            lines.append(extra)
    return lines
