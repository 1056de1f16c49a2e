"""Terminal rendering of results with rich (tables, intervals, pairwise CPI comparison)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from ..confidence import AUTO_MAX_REPLICATES, metric_label

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ..result import Result

__all__ = [
    "FEED_COLUMNS",
    "TABLE_COLUMNS",
    "audience_table",
    "audience_time_table",
    "breakdown_table",
    "confidence_lines",
    "fmt_range",
    "print_fitting",
    "result_tables",
    "separation_label",
    "summary_rows",
]

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
# Rows shown only when the scenario has the organic feed.
FEED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("engagements", "incr. engagements", "int"),
    ("followers_gained", "incr. followers", "int"),
)
# Rows shown only when the scenario models iOS privacy: what the ad manager and the MMP count.
PRIVACY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("installs_platform", "installs (ad manager)", "int"),
    ("cpi_platform_usd", "CPI $ (ad manager)", "money2"),
    ("installs_mmp", "installs (MMP)", "int"),
    ("cpi_mmp_usd", "CPI $ (MMP)", "money2"),
)


def summary_rows(feed: bool, privacy: bool = False) -> tuple[tuple[str, str, str], ...]:
    """The summary table's rows: the organic ones only when the scenario has the feed, the
    ad manager's and the MMP's counts only when it models iOS privacy."""
    return TABLE_COLUMNS + (FEED_COLUMNS if feed else ()) + (PRIVACY_COLUMNS if privacy else ())


def fmt(value: float, kind: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and math.isinf(value) and value > 0:
        return "∞"  # a cost per unit with spend and no units
    if isinstance(value, float) and not math.isfinite(value):
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
    if kind == "f2":
        return f"{value:.2f}"
    return f"{value:.1f}"


def fmt_range(lo: float, hi: float, kind: str) -> str:
    """``[lo-hi]`` for a 5-95% range; ``[lo to hi]`` when a bound is negative (so "-250" is
    not read as a dash); empty when the range is undefined (nothing to show)."""
    a, b = fmt(lo, kind), fmt(hi, kind)
    if a == "-" and b == "-":
        return ""
    negative = any(isinstance(v, float) and v < 0 for v in (lo, hi))
    return f"[{a} to {b}]" if negative else f"[{a}-{b}]"


def print_fitting(
    console: Console,
    title: str,
    label_header: str,
    names: list[str],
    rows: list[tuple[str, list[str]]],
) -> None:
    """Print a table with one column per name, split into several tables (each with the label
    column) when they do not all fit the console's width: numbers are never cut.

    A cell may wrap at its spaces (a value above its range), never inside a number. Cells are
    rich markup; the title, names and labels are plain text (a user's names print as written,
    whatever console they go to).
    """
    from rich.text import Text

    def widest_word(markup: str) -> int:
        return max((len(w) for w in Text.from_markup(markup).plain.split()), default=0)

    label_words = [len(w) for label, _ in rows for w in label.split()]
    label_width = max([len(label_header), *label_words]) + 3
    widths = [
        max([len(name)] + [widest_word(cells[k]) for _, cells in rows]) + 3
        for k, name in enumerate(names)
    ]
    groups: list[list[int]] = [[]]
    used = label_width + 1
    for k, width in enumerate(widths):
        if groups[-1] and used + width > console.width:
            groups.append([])
            used = label_width + 1
        groups[-1].append(k)
        used += width
    for g, columns in enumerate(groups):
        part = f" ({g + 1}/{len(groups)})" if len(groups) > 1 else ""
        table = Table(title=Text(title + part), header_style="bold")
        table.add_column(Text(label_header), style="bold", overflow="fold")
        for k in columns:
            table.add_column(
                Text(names[k]), justify="right", overflow="fold", min_width=widths[k] - 3
            )
        for label, cells in rows:
            table.add_row(Text(label), *(Text.from_markup(cells[k]) for k in columns))
        console.print(table)


def result_tables(result: Result, console: Console) -> None:
    """Print the strategies side by side (one column each), and with replicates the 90%
    intervals under each mean and the pairwise CPI comparison."""
    summary = result.summary()
    reps = result.replicates
    title = f"{result.scenario.name}: seed {result.seed}"
    title += f", {reps} replicates: mean and [5%-95%]" if reps > 1 else ""
    rows = []
    sc = result.scenario
    for col, header, kind in summary_rows(sc.platform.feed is not None, sc.privacy is not None):
        cells = []
        for _, row in summary.iterrows():
            cell = fmt(row[col], kind)
            shown = fmt_range(row[col + "_lo"], row[col + "_hi"], kind) if reps > 1 else ""
            if shown and col != "audience_size":
                cell += f" [dim]\\{shown}[/dim]"
            cells.append(cell)
        rows.append((header, cells))
    print_fitting(console, title, "metric", [str(n) for n in summary.index], rows)
    if reps > 1 and len(result.strategies) > 1:
        wins = result.cpi_win_matrix()
        print_fitting(
            console,
            f"P(row has the lower CPI than column), {reps} paired replicates",
            "",
            [str(n) for n in wins.columns],
            [(str(name), [fmt(v, "pct") for v in row]) for name, row in wins.iterrows()],
        )
    confidence_lines(result, console)


def separation_label(needed: float, replicates: int) -> str:
    """How a strategy stands against the leader, in words: separated (a 95% interval of the
    paired difference excludes zero), or within noise, with the replicates that would tell
    them apart when that is a practical number."""
    if math.isnan(needed):
        return "-"
    if needed <= replicates:
        return "clearly worse"
    if math.isinf(needed) or needed > 4 * AUTO_MAX_REPLICATES:
        return "tie (within noise)"
    return f"within noise (~{int(needed):,} replicates to tell)"


def confidence_lines(result: Result, console: Console, metric: str | None = None) -> None:
    """How sure the ranking is: with replicates, P(best) per strategy and how each stands
    against the leader; then the verdict."""
    metric = metric or result.rank_by
    conf = result.confidence(metric)
    reps = result.replicates
    if reps > 1 and len(conf.strategies) > 1 and conf.leader is not None:
        lead = conf.strategies.index(conf.leader)
        against = [
            "leader"
            if k == lead
            else separation_label(float(conf.replicates_needed[lead, k]), reps)
            for k in range(len(conf.strategies))
        ]
        print_fitting(
            console,
            f"How sure: P(lowest {metric_label(metric)}) and each against "
            f"{conf.leader} (95%, paired)",
            "",
            conf.strategies,
            [("P(best)", [fmt(v, "pct") for v in conf.p_best]), ("vs leader", against)],
        )
    if result.stopping is not None:
        if result.stopping["settled"]:
            how = "settled"
        elif result.stopping["leader"] is None:
            how = "no strategy has a cost to rank"
        else:
            how = "not settled at the maximum"
        console.print(
            f"replicates=auto: stopped after {reps} replicates ({how}; rule: "
            f"{result.stopping['rule']})",
            markup=False,
            highlight=False,
        )
    console.print(f"Verdict: {result.verdict(metric).text}", markup=False, highlight=False)


def audience_table(names: list[str], sizes: list[int], overlap, console: Console) -> None:
    rows = [
        (
            name,
            [f"{sizes[s]:,}"]
            + ["" if s == o else fmt(overlap[s, o], "pct") for o in range(len(names))],
        )
        for s, name in enumerate(names)
    ]
    print_fitting(
        console,
        "Estimated audience sizes and overlaps (share of row also in column)",
        "strategy",
        ["audience", *names],
        rows,
    )


def audience_time_table(
    names: list[str], days: list[str], mean: np.ndarray, peak: np.ndarray, console: Console
) -> None:
    """Time-bound audiences day by day: people in them on average over the day's slots, and
    at the day's peak (as the platform would round them)."""
    from ..segments import platform_round

    rows = [
        (
            day,
            [
                f"{platform_round(mean[d, s]):,} / {platform_round(peak[d, s]):,}"
                for s in range(len(names))
            ],
        )
        for d, day in enumerate(days)
    ]
    print_fitting(
        console,
        "Time-bound audiences by day: people in them on average / at the peak",
        "day",
        names,
        rows,
    )


def breakdown_table(frame: pd.DataFrame, by: str, console: Console) -> None:
    """Delivery by group: one row per group, strategies side by side (installs, CPI)."""
    if "strategy" not in frame.columns:  # Result.breakdown(): indexed by strategy
        frame = frame.reset_index()
    strategies = list(dict.fromkeys(frame["strategy"]))
    share = frame["impressions"] / frame.groupby("strategy")["impressions"].transform("sum")
    frame = frame.assign(share=share)
    rows = []
    for group, group_rows in frame.groupby(by, sort=False):
        cells = []
        for name in strategies:
            row = group_rows[group_rows["strategy"] == name].iloc[0]
            cells.append(
                f"{fmt(row['installs'], 'int')} @ {fmt(row['cpi_usd'], 'money2')}"
                f" ({fmt(row['share'], 'pct')})"
            )
        rows.append((str(group), cells))
    print_fitting(
        console, f"By {by}: installs @ CPI $ (share of the strategy's impressions)", by,
        strategies, rows,
    )  # fmt: skip
