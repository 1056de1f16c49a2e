"""Terminal rendering of results with rich (tables, intervals, pairwise CPI comparison)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd

    from ..result import Result

__all__ = ["TABLE_COLUMNS", "audience_table", "breakdown_table", "result_tables"]

# (column, header, format) in the order a planner reads them.
TABLE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("audience_size", "audience", "int"),
    ("spend_usd", "spend $", "money0"),
    ("auctions", "auctions", "int"),
    ("win_rate", "win rate", "pct"),
    ("impressions", "impr.", "int"),
    ("reach", "reach", "int"),
    ("frequency", "freq.", "f1"),
    ("clicks", "clicks", "int"),
    ("ctr", "CTR", "pct2"),
    ("installs", "installs", "int"),
    ("cpi_usd", "CPI $", "money2"),
    ("incremental_installs", "incr. inst.", "int"),
    ("icpi_usd", "iCPI $", "money2"),
    ("cpm_usd", "CPM $", "money2"),
    ("budget_used", "budget used", "pct"),
    ("learning_exit_day", "left learning (day)", "f1"),
)


def fmt(value: float, kind: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if kind == "int":
        return f"{value:,.0f}"
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "pct2":
        return f"{100 * value:.2f}%"
    if kind == "money0":
        return f"{value:,.0f}"
    if kind == "money2":
        return f"{value:,.2f}"
    return f"{value:.1f}"


def result_tables(result: Result, console: Console) -> None:
    """Print the strategies side by side (one column each), and with replicates the 90%
    intervals under each mean and the pairwise CPI comparison."""
    summary = result.summary()
    reps = result.replicates
    title = f"{result.scenario.name}: seed {result.seed}"
    title += f", {reps} replicates: mean and [5%-95%]" if reps > 1 else ""
    table = Table(title=title, header_style="bold")
    table.add_column("metric", style="bold")
    for name in summary.index:
        table.add_column(str(name), justify="right")
    for col, header, kind in TABLE_COLUMNS:
        cells = []
        for _, row in summary.iterrows():
            cell = fmt(row[col], kind)
            if reps > 1 and col != "audience_size":
                cell += (
                    f" [dim]\\[{fmt(row[col + '_lo'], kind)}-{fmt(row[col + '_hi'], kind)}][/dim]"
                )
            cells.append(cell)
        table.add_row(header, *cells)
    console.print(table)
    if reps > 1 and len(result.strategies) > 1:
        console.print(_pairs_table(result.cpi_win_matrix(), reps))


def _pairs_table(wins: pd.DataFrame, reps: int) -> Table:
    table = Table(title=f"P(row has the lower CPI than column), {reps} paired replicates")
    table.add_column("", style="bold")
    for name in wins.columns:
        table.add_column(str(name), justify="right")
    for name, row in wins.iterrows():
        table.add_row(str(name), *(fmt(v, "pct") for v in row))
    return table


def audience_table(names: list[str], sizes: list[int], overlap, console: Console) -> None:
    table = Table(title="Estimated audience sizes and overlaps (share of row also in column)")
    table.add_column("strategy", style="bold")
    table.add_column("audience", justify="right")
    for name in names:
        table.add_column(name, justify="right")
    for s, name in enumerate(names):
        cells = ["" if s == o else fmt(overlap[s, o], "pct") for o in range(len(names))]
        table.add_row(name, f"{sizes[s]:,}", *cells)
    console.print(table)


def breakdown_table(frame: pd.DataFrame, by: str, console: Console) -> None:
    """Delivery by group: one row per group, strategies side by side (installs, CPI)."""
    table = Table(title=f"By {by}: installs @ CPI $ (share of the strategy's impressions)")
    table.add_column(by, style="bold")
    strategies = list(dict.fromkeys(frame["strategy"]))
    for name in strategies:
        table.add_column(name, justify="right")
    share = frame["impressions"] / frame.groupby("strategy")["impressions"].transform("sum")
    frame = frame.assign(share=share)
    for group, rows in frame.groupby(by, sort=False):
        cells = []
        for name in strategies:
            row = rows[rows["strategy"] == name].iloc[0]
            cells.append(
                f"{fmt(row['installs'], 'int')} @ {fmt(row['cpi_usd'], 'money2')}"
                f" ({fmt(row['share'], 'pct')})"
            )
        table.add_row(str(group), *cells)
    console.print(table)
