"""The calibration report: one HTML file beside ``calibrated.yaml`` that shows what was
learned from a past report and how well it fits.

Sections: each unknown's posterior against its prior range (among all draws
tried), the report's daily installs and spend per ad set against the calibrated scenario's
(posterior draws, one per replicate: the band is what the posterior leaves open), the lift
tests against what the posterior draws simulate, how the emulator fits each summary, and a
back-test's held-out days and errors.
"""

from __future__ import annotations

import datetime
import html
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .html import CSS, img_tag

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from ..experiments.calibrate import Backtest, Calibration
    from ..scenario.past_report import PastReport

__all__ = ["posterior_chart", "series_chart", "write_calibration_report"]


def posterior_chart(calibration: Calibration) -> Figure:
    """One panel per unknown: every draw tried (grey) and the posterior (blue: the kept draws,
    or the emulator's weighted candidates scaled to as many draws) on the prior range, with
    the posterior median and 90% interval."""
    from .plots import new_figure

    names = calibration.parameters
    fig = new_figure(min(11, 3.7 * len(names)), 3.0)
    axes = np.atleast_1d(fig.subplots(1, len(names)))
    table = calibration.intervals()
    for ax, name in zip(axes, names, strict=True):
        tried = calibration.tried[name].astype(float).to_numpy()
        kept = calibration.posterior[name].astype(float).to_numpy()
        log = tried.min() > 0 and tried.max() / tried.min() > 20
        edges = (
            np.geomspace(tried.min(), tried.max(), 21)
            if log
            else np.linspace(tried.min(), tried.max(), 21)
        )
        ax.hist(tried, bins=edges, color="#cccccc", label="draws tried (prior)")
        if calibration.sample is None:
            ax.hist(kept, bins=edges, color="#1f77b4", label="kept (posterior)")
        else:
            weights = calibration.sample["weight"].to_numpy(dtype=float) * len(tried)
            ax.hist(calibration.sample[name].astype(float).to_numpy(), bins=edges,
                    weights=weights, color="#1f77b4", alpha=0.55, label="posterior")  # fmt: skip
        row = table.loc[name]
        ax.axvline(row["median"], color="#d62728", lw=1.5, label="median")
        ax.axvspan(row["lo"], row["hi"], color="#d62728", alpha=0.08, label="90% interval")
        if log:
            ax.set_xscale("log")
        ax.set_title(name, fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    return fig


def series_chart(
    observed: pd.DataFrame, simulated: pd.DataFrame, metric: str, label: str, first_held: int
) -> Figure:
    """Per ad set, the report's daily ``metric`` (points) and the simulation's mean and 5-95%
    range over replicates; days from ``first_held`` on (a back-test's) shaded."""
    from .plots import new_figure, palette

    fig = new_figure(11, 3.4)
    ax = fig.subplots(1, 1)
    names = list(dict.fromkeys(observed.index.get_level_values("strategy")))
    grouped = simulated.groupby(["strategy", "day"])[metric]
    mean, lo, hi = grouped.mean(), grouped.quantile(0.05), grouped.quantile(0.95)
    for name, color in zip(names, palette(len(names)), strict=True):
        obs = observed.xs(name, level="strategy")[metric]
        ax.plot(obs.index, obs.to_numpy(), "o", color=color, ms=4, label=f"{name} (report)")
        if name in mean.index.get_level_values(0):
            days = mean.loc[name].index.to_numpy()
            ax.plot(days, mean.loc[name].to_numpy(), color=color, lw=1.2)
            ax.fill_between(days, lo.loc[name], hi.loc[name], color=color, alpha=0.15)
    if first_held < int(observed.index.get_level_values("day").max()) + 1:
        ax.axvspan(first_held - 0.5, ax.get_xlim()[1], color="#f5b041", alpha=0.15, lw=0)
        ax.annotate("held out", (first_held - 0.4, 0.95), xycoords=("data", "axes fraction"),
                    fontsize=8, color="#a04000")  # fmt: skip
    ax.set_title(f"{label}: report (points) and calibrated simulation (line, 5-95% band)")
    ax.set_xlabel("day")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    return fig


def _frame(frame: pd.DataFrame, digits: int = 4) -> str:
    """A DataFrame as a plain HTML table, numbers to ``digits`` significant digits."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in [frame.index.name or "", *frame])
    rows = []
    for label, row in frame.iterrows():
        cells = "".join(
            f"<td>{v:.{digits}g}</td>" if isinstance(v, float | np.floating) else
            f"<td>{html.escape(str(v))}</td>"
            for v in row
        )  # fmt: skip
        rows.append(f"<tr><td>{html.escape(str(label))}</td>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def write_calibration_report(
    path: str | Path,
    calibration: Calibration,
    report: PastReport,
    simulated: pd.DataFrame,
    backtest: Backtest | None = None,
) -> Path:
    """Write the calibration report to ``path``. ``simulated`` is the calibrated scenario's
    daily series (Result.timeseries of a run with its posterior draws) over the report's
    days; with ``backtest`` its training days end where the held-out days begin."""
    observed = report.daily()
    first_held = backtest.train_days if backtest is not None else report.days
    table = calibration.intervals()
    how = calibration.description()
    how = how[:1].upper() + how[1:]
    parts = [
        f"<h1>Calibration of {html.escape(calibration.base.name)}</h1>",
        f"<p class='sub'>From {html.escape(str(report.path))}: {report.days} days, "
        f"{len(report.strategies)} ad set(s). {html.escape(how)}. Made "
        f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}.</p>",
        "<h2>What the report says about each unknown</h2>",
        img_tag(posterior_chart(calibration), "posterior of each unknown"),
        _frame(table),
        "<p class='note'>An interval much narrower than the prior range: the report pins the "
        "unknown down. One as wide as the prior: the report's columns cannot tell its values "
        "apart (add ad sets, breakdowns or a lift test that separate them).</p>",
        "<h2>Fitted and observed, day by day</h2>",
        img_tag(
            series_chart(observed, simulated, "installs", "installs per day", first_held),
            "daily installs",
        ),
        img_tag(
            series_chart(observed, simulated, "spend_usd", "spend $ per day", first_held),
            "daily spend",
        ),
        f"<p class='note'>The calibrated scenario run {simulated['replicate'].nunique()} "
        "times, replicate r with posterior draw r mod K: the band is the simulation's noise "
        "and what the report left uncertain together.</p>",
    ]
    if calibration.summaries is not None:
        parts += [
            "<h2>How the emulator fits each summary</h2>",
            _frame(calibration.summaries.set_index("summary")),
            "<p class='note'>observed: the report's value (totals as log(1 + total)); "
            "noise_sd: one draw's spread around the fitted surface; r2: the share of the "
            "draws' spread the unknowns explain. A low r2 with a small noise_sd is a summary "
            "the unknowns barely move (a spent budget); a low r2 with a large noise_sd, one "
            "the simulation cannot read at this scale.</p>",
        ]
    if calibration.lift_fit is not None:
        lift = calibration.lift_fit.set_index("ad_set")
        parts += ["<h2>Lift tests</h2>", _frame(lift)]
    if backtest is not None:
        errors = backtest.errors.copy()
        parts += [
            "<h2>Back-test: the held-out days</h2>",
            f"<p>Calibrated on days 0-{backtest.train_days - 1}, predicted days "
            f"{backtest.train_days}-{report.days - 1}.</p>",
            _frame(errors),
            "<p class='note'>weighted_abs_error: sum of |predicted mean - observed| / sum of "
            "observed over the held-out days (CPI: mean relative error per ad set); "
            "inside_90: share of held-out daily values inside the predicted 5-95% range.</p>",
        ]
    text = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(calibration.base.name)}: calibration</title>"
        f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>"
    )
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
