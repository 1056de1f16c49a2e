"""matplotlib figures of a run's results, from its DataFrames (summary, daily series, win
matrix, breakdowns). Each function returns a Figure; ``png_base64`` inlines one in HTML.

matplotlib is imported inside the functions (Agg backend, no display needed), so importing
adsim never loads it.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "audience_chart",
    "breakdown_chart",
    "cpi_chart",
    "cumulative_cpi",
    "daily_chart",
    "organic_chart",
    "png_base64",
    "reach_chart",
    "win_matrix_chart",
]

_Q_LO, _Q_HI = 0.05, 0.95  # the band drawn around daily means: 5th-95th percentile


def new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    return fig


def png_base64(fig: Figure) -> str:
    """The figure as a base64 PNG (for ``<img src="data:image/png;base64,...">``)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def palette(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def _money_axis(ax, values: np.ndarray) -> None:
    """A log axis when one finite value dwarfs the rest (10x or more), else linear from 0."""
    finite = values[np.isfinite(values) & (values > 0)]
    if finite.size >= 2 and finite.max() >= 10 * finite.min():
        ax.set_xscale("log")
        ax.set_xlabel("log scale")
    else:
        ax.set_xlim(left=0)


def cpi_chart(summary: pd.DataFrame) -> Figure:
    """CPI and incremental CPI per strategy (ratio of means, as in the table), sorted by CPI,
    with the 5-95% range across replicates; a range with no upper end (replicates without an
    install) is drawn as an arrow to the edge and labelled so."""
    order = summary.sort_values("cpi_usd", na_position="last")
    names = list(order.index)
    colors = dict(zip(summary.index, palette(len(summary)), strict=True))
    fig = new_figure(9, 0.55 * len(names) + 1.8)
    axes = fig.subplots(1, 2, sharey=True)
    y = np.arange(len(names))
    for ax, col, title in zip(axes, ("cpi_usd", "icpi_usd"), ("CPI $", "incremental CPI $"),
                              strict=True):  # fmt: skip
        mean = order[col].to_numpy(dtype=float)
        has_range = f"{col}_lo" in order
        lo = order[f"{col}_lo"].to_numpy(dtype=float) if has_range else mean
        hi = order[f"{col}_hi"].to_numpy(dtype=float) if has_range else mean
        shown = np.where(np.isfinite(mean), mean, np.nan)
        _money_axis(ax, np.concatenate([shown, lo, np.where(np.isfinite(hi), hi, np.nan)]))
        base = ax.get_xlim()[0] if ax.get_xscale() == "log" else 0.0
        ax.barh(y, np.nan_to_num(shown - base), left=base, color=[colors[n] for n in names],
                alpha=0.85)  # fmt: skip
        finite_hi = hi[np.isfinite(hi)]
        room = 4.0 if ax.get_xscale() == "log" else 1.35  # space for the labels at the right
        edge = max(np.nanmax(np.concatenate([shown, finite_hi, [1.0]])) * room, 1.0)
        ax.set_xlim(right=edge)
        for yi, m, a, b in zip(y, mean, lo, hi, strict=True):
            if not np.isfinite(m):
                label = "undefined (no installs)" if np.isnan(m) else "unbounded: no installs"
                ax.annotate(label, (base, yi), xytext=(4, 0), textcoords="offset points",
                            va="center", fontsize=8, color="#a33")  # fmt: skip
                continue
            if has_range and np.isfinite(a):
                right = b if np.isfinite(b) else edge
                ax.errorbar([m], [yi], xerr=[[max(0, m - a)], [max(0, right - m)]], fmt="none",
                            ecolor="black", capsize=4)  # fmt: skip
                if not np.isfinite(b):  # no upper end: some replicates had no install
                    ax.annotate("", (edge, yi), xytext=(m, yi),
                                arrowprops={"arrowstyle": "->", "color": "#a33"})  # fmt: skip
            open_range = has_range and not np.isfinite(b)
            end = m if open_range or not has_range else b
            label = ax.annotate(f"${m:,.2f}" + (" →∞" if open_range else ""), (end, yi),
                                xytext=(6, 7 if open_range else 0), textcoords="offset points",
                                va="center", fontsize=8)  # fmt: skip
            label.set_in_layout(False)
        ax.set_title(title)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, names)
    axes[0].invert_yaxis()
    return fig


def win_matrix_chart(wins: pd.DataFrame) -> Figure:
    """Share of paired replicates in which the row strategy has the lower CPI."""
    n = len(wins)
    fig = new_figure(1.1 * n + 2.6, 0.8 * n + 1.4)
    ax = fig.subplots()
    values = wins.to_numpy(dtype=float)
    image = ax.imshow(np.ma.masked_invalid(values), cmap="RdYlGn", vmin=0, vmax=1)
    for i in range(n):
        for j in range(n):
            text = "" if not np.isfinite(values[i, j]) else f"{100 * values[i, j]:.0f}%"
            ax.text(j, i, text, ha="center", va="center", fontsize=9)
    ax.set_xticks(range(n), wins.columns, rotation=30, ha="right")
    ax.set_yticks(range(n), wins.index)
    ax.set_xlabel("column")
    ax.set_ylabel("row has the lower CPI than column")
    fig.colorbar(image, ax=ax, shrink=0.8)
    return fig


_STYLES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def _thousands(ax) -> None:
    """y tick labels with thousands separators, or all in k/M when the axis reaches 100,000
    (one style per axis)."""

    def label(v: float, _pos: object) -> str:
        top = max(abs(x) for x in ax.get_ylim())
        if top >= 100_000:
            return _compact(v)
        return f"{v:,.0f}" if top >= 10 else f"{v:g}"

    ax.yaxis.set_major_formatter(label)


def _line(ax, k: int, days, values, color, name: str) -> None:
    """One strategy's line: colour, dash and marker differ, so overlapping lines stay apart."""
    ax.plot(
        days,
        values,
        marker=_MARKERS[k % len(_MARKERS)],
        ms=4,
        color=color,
        label=name,
        linestyle=_STYLES[k % len(_STYLES)],
        markerfacecolor="none" if k % 2 else color,
    )


def _finish(ax, label: str) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.set_title(label)
    ax.set_xlabel("day")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    _thousands(ax)
    ax.grid(alpha=0.3)


def _daily_band(ax, ts: pd.DataFrame, value: pd.Series, names: list[str], label: str) -> None:
    """Mean over replicates per day, with the 5-95% band when there are replicates."""
    frame = ts[["strategy", "day"]].assign(v=value.to_numpy())
    stats = frame.groupby(["strategy", "day"])["v"]
    mean = stats.mean()
    lo, hi = stats.quantile(_Q_LO), stats.quantile(_Q_HI)
    for k, (name, color) in enumerate(zip(names, palette(len(names)), strict=True)):
        if name not in mean.index.get_level_values(0):
            continue
        days = mean.loc[name].index.to_numpy()
        _line(ax, k, days, mean.loc[name].to_numpy(), color, name)
        if ts["replicate"].nunique() > 1:
            ax.fill_between(days, lo.loc[name], hi.loc[name], color=color, alpha=0.15)
    _finish(ax, label)


def cumulative_cpi(ts: pd.DataFrame) -> pd.DataFrame:
    """Per strategy and day: the CPI so far as the summary computes it (all replicates' spend
    over all their installs: a ratio of means, so the last day equals the table's CPI), and
    the 5-95% range of the replicates' own CPIs so far."""
    order = ts.sort_values(["replicate", "strategy", "day"])
    cum = order.groupby(["replicate", "strategy"])[["spend_usd", "installs"]].cumsum()
    cum = cum.assign(strategy=order["strategy"].to_numpy(), day=order["day"].to_numpy())
    totals = cum.groupby(["strategy", "day"], sort=False)[["spend_usd", "installs"]].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        per = (cum["spend_usd"] / cum["installs"]).where(cum["installs"] > 0)
        ratio = (totals["spend_usd"] / totals["installs"]).where(totals["installs"] > 0)
    by = per.groupby([cum["strategy"], cum["day"]], sort=False)
    return ratio.to_frame("cpi_usd").assign(
        lo=by.quantile(_Q_LO).reindex(ratio.index), hi=by.quantile(_Q_HI).reindex(ratio.index)
    )


def mark_events(ax, events: pd.DataFrame | None, hours_per_unit: float, offset: float) -> None:
    """Shade each event airing on a time axis in units of ``hours_per_unit`` hours. Daily
    series plot day d at x = d for the whole day, so their axis passes ``offset`` 0.5: the
    day's hours then run from d - 0.5 to d + 0.5."""
    if events is None or events.empty:
        return
    for start, end in zip(events["start_h"], events["end_h"], strict=True):
        lo, hi = start / hours_per_unit - offset, end / hours_per_unit - offset
        ax.axvspan(lo, max(hi, lo + 0.02), color="#f5b041", alpha=0.25, lw=0)
    first = events.drop_duplicates("event")
    for name, start in zip(first["event"], first["start_h"], strict=True):
        ax.annotate(
            str(name), (start / hours_per_unit - offset, 1.0), xycoords=("data", "axes fraction"),
            xytext=(2, -10), textcoords="offset points", fontsize=7, color="#a04000",
        )  # fmt: skip


def calendar_chart(hourly: pd.DataFrame, events: pd.DataFrame | None) -> Figure:
    """Sessions and the mean competing eCPM per slot (one strategy's rows: they are the
    platform's, the same for every strategy), replicate means, events shaded."""
    fig = new_figure(11, 3.4)
    axes = fig.subplots(1, 2)
    first = hourly[hourly["strategy"] == hourly["strategy"].iloc[0]]
    per = first.groupby("hour")[["sessions", "market_cpm_usd"]].mean()
    for ax, col, label in (
        (axes[0], "sessions", "sessions per slot (platform)"),
        (axes[1], "market_cpm_usd", "market's competing eCPM $"),
    ):
        ax.plot(per.index / 24.0, per[col], color="#1f4e79", lw=1)
        mark_events(ax, events, 24.0, 0.0)
        ax.set_title(label)
        ax.set_xlabel("day")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    _thousands(axes[0])
    return fig


def daily_chart(ts: pd.DataFrame, names: list[str], events: pd.DataFrame | None = None) -> Figure:
    """Spend, attributed installs and cumulative CPI per day (events shaded)."""
    fig = new_figure(11, 3.6)
    axes = fig.subplots(1, 3)
    for ax in axes:
        mark_events(ax, events, 24.0, 0.5)
    _daily_band(axes[0], ts, ts["spend_usd"], names, "spend $ per day")
    _daily_band(axes[1], ts, ts["installs"], names, "attributed installs per day")
    cum = cumulative_cpi(ts)
    reps = ts["replicate"].nunique()
    for k, (name, color) in enumerate(zip(names, palette(len(names)), strict=True)):
        if name not in cum.index.get_level_values(0):
            continue
        mine = cum.loc[name].sort_index()
        days = mine.index.to_numpy()
        _line(axes[2], k, days, mine["cpi_usd"].to_numpy(), color, name)
        if reps > 1:
            axes[2].fill_between(days, mine["lo"], mine["hi"], color=color, alpha=0.12)
    _finish(axes[2], "CPI $ so far (as in the table)")
    axes[0].legend(fontsize=8)
    return fig


def reach_chart(ts: pd.DataFrame, names: list[str]) -> Figure:
    """Cumulative reach and average frequency (impressions so far / reach so far)."""
    fig = new_figure(11, 3.4)
    axes = fig.subplots(1, 2)
    _daily_band(axes[0], ts, ts["reach_cum"], names, "people reached so far")
    order = ts.sort_values(["replicate", "strategy", "day"])
    cum_impr = order.groupby(["replicate", "strategy"])["impressions"].cumsum()
    with np.errstate(divide="ignore", invalid="ignore"):
        freq = (cum_impr / order["reach_cum"]).where(order["reach_cum"] > 0)
    _daily_band(axes[1], order, freq, names, "frequency so far (impressions per person)")
    axes[0].legend(fontsize=8)
    return fig


def _compact(value: float) -> str:
    """1,200,000 -> 1.2M: axis labels that do not run into each other."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.0f}"


def audience_chart(summary: pd.DataFrame, overlap: pd.DataFrame | None) -> Figure:
    """Audience sizes (as the platform reports them) and, if known, their overlaps."""
    from matplotlib.ticker import MaxNLocator

    names = list(summary.index)
    fig = new_figure(11 if overlap is not None else 6, 0.5 * len(names) + 2.2)
    axes = fig.subplots(1, 2 if overlap is not None else 1, squeeze=False)[0]
    y = np.arange(len(names))
    sizes = summary["audience_size"].to_numpy(dtype=float)
    axes[0].barh(y, sizes, color=palette(len(names)))
    axes[0].set_yticks(y, names)
    axes[0].invert_yaxis()
    axes[0].set_title("audience size (people)")
    axes[0].xaxis.set_major_formatter(lambda v, _: _compact(v))
    axes[0].xaxis.set_major_locator(MaxNLocator(5))
    axes[0].grid(axis="x", alpha=0.3)
    for yi, v in zip(y, sizes, strict=True):
        axes[0].annotate(f"{v:,.0f}", (0, yi), xytext=(4, 0), textcoords="offset points",
                         va="center", fontsize=8)  # fmt: skip
    if overlap is not None:
        values = overlap.to_numpy(dtype=float)
        axes[1].imshow(values, cmap="Blues", vmin=0, vmax=1)
        for i in range(len(names)):
            for j in range(len(names)):
                color = "white" if values[i, j] > 0.6 else "black"
                axes[1].text(j, i, f"{100 * values[i, j]:.0f}%", ha="center", va="center",
                             fontsize=8, color=color)  # fmt: skip
        axes[1].set_xticks(range(len(names)), names, rotation=30, ha="right")
        axes[1].set_yticks(range(len(names)), names)
        axes[1].set_title("share of row's audience also in column")
    return fig


def breakdown_chart(frame: pd.DataFrame, by: str) -> Figure:
    """By group (age band, region, device): share of each strategy's impressions, and CPI."""
    if "strategy" not in frame.columns:  # Result.breakdown(): indexed by strategy
        frame = frame.reset_index()
    names = list(dict.fromkeys(frame["strategy"]))
    # Groups no strategy delivered to (a device nobody has) are left out, not drawn empty.
    seen = frame.groupby(by, sort=False)["impressions"].sum()
    groups = [g for g in dict.fromkeys(frame[by]) if seen.get(g, 0) > 0]
    frame = frame[frame[by].isin(groups)]
    fig = new_figure(11, 3.2)
    axes = fig.subplots(1, 2)
    width = 0.8 / max(1, len(names))
    x = np.arange(len(groups))
    total = frame.groupby("strategy")["impressions"].transform("sum")
    frame = frame.assign(share=(frame["impressions"] / total).where(total > 0))
    for k, (name, color) in enumerate(zip(names, palette(len(names)), strict=True)):
        rows = frame[frame["strategy"] == name].set_index(by).reindex(groups)
        offset = x - 0.4 + width * (k + 0.5)
        axes[0].bar(offset, rows["share"].fillna(0), width, color=color, label=name)
        cpi = rows["cpi_usd"].to_numpy(dtype=float)
        if "cpi_usd_lo" in rows:  # replicates: the 5-95% range of each group's CPI
            err = np.vstack([cpi - rows["cpi_usd_lo"], rows["cpi_usd_hi"] - cpi])
            err = np.where(np.isfinite(err), np.maximum(err, 0), 0)
        else:
            err = None
        axes[1].bar(offset, np.nan_to_num(cpi), width, color=color, yerr=err,
                    error_kw={"elinewidth": 0.8, "capsize": 1.5})  # fmt: skip
    for ax, title in zip(axes, ("share of impressions", "CPI $"), strict=True):
        ax.set_xticks(x, groups, rotation=30 if len(groups) > 5 else 0, ha="right"
                      if len(groups) > 5 else "center")  # fmt: skip
        ax.set_title(f"{title} by {by}")
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    return fig


def organic_chart(posts: pd.DataFrame) -> Figure:
    """Each post's 24 h reach share of its page's followers over time, by tactic; and the
    distribution of cascade sizes (shares per post)."""
    fig = new_figure(11, 3.4)
    axes = fig.subplots(1, 2)
    tactics = list(dict.fromkeys(posts["tactic"]))
    for name, color in zip(tactics, palette(len(tactics)), strict=True):
        mine = posts[posts["tactic"] == name]
        axes[0].scatter(mine["time_h"] / 24.0, 100 * mine["reach_share_24h"], s=12,
                        color=color, label=name, alpha=0.7)  # fmt: skip
    axes[0].set_title("reach share of followers in 24 h (%)")
    axes[0].set_xlabel("day posted")
    axes[0].set_ylim(bottom=0)
    axes[0].grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    # Cascade sizes as a complementary CDF (log share of posts): the share of posts with at
    # least x shares, the usual view of a heavy-tailed size distribution.
    sizes = np.sort(posts["shares"].to_numpy(dtype=float))
    shared = sizes[sizes > 0]
    if shared.size:
        at_least = (
            1.0 - np.arange(shared.size) / sizes.size - (sizes.size - shared.size) / sizes.size
        )
        axes[1].step(shared, at_least, where="post", color="#4c72b0")
        axes[1].set_yscale("log")
        axes[1].set_xlim(left=0)
    axes[1].set_title(f"cascades: {100 * (sizes == 0).mean():.0f}% of posts never shared")
    axes[1].set_xlabel("shares (x)")
    axes[1].set_ylabel("share of posts with at least x")
    axes[1].grid(alpha=0.3)
    return fig
