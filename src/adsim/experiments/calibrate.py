"""Calibration: the unknowns of a scenario inferred from a past campaign's report.

Simulation-based inference in two steps. First, a sweep: the unknowns drawn from their prior
ranges (a Latin hypercube, uniform or log-uniform), the report's campaigns simulated at each
draw. The sweep runs on the same executors as any sweep (this process, local workers, a Dask
cluster), shows progress, and with ``out`` resumes after an interruption from the runs already
stored. Each draw runs its own random streams (no common random numbers): shared draws would
shift every draw's simulation by the same world's luck, a bias no number of draws removes.
Second, the posterior, by one of two methods:

- ``emulator`` (default, whenever the draws outnumber twice the emulator's coefficients): each
  summary of the report is regressed on the unknowns over all draws (experiments.emulator), so
  the posterior weighs candidate values by the likelihood of the report around the emulated
  expectation. A simulation at scale s counts in agents that stand for s people, so one run is
  about sqrt(s) times noisier than the real campaign the report counts; pooling the draws
  removes that noise, which rejection would otherwise add to the posterior's width.
- ``rejection`` (Pritchard et al. 1999; Beaumont 2019's review): keep the draws whose own
  simulations come closest to the report. Used with too few draws to emulate, or on request.

Why not a library: ABC-SMC (pyabc) or neural posterior estimation (sbi) need fewer simulations
for many unknowns, at the cost of ~70 dependencies (pyabc) or torch (sbi); a planner's 2-6
unknowns over a few hundred draws are what a response surface handles well, with numpy alone.

The likelihood (written as a distance, -2 log likelihood): for each ad set of the report and
each of spend, impressions, clicks and installs, the squared difference of log(1 + total)
between the simulation and the report over its variance: REPORT_LOG_SD^2 (the model's own
misfit) plus, under the emulator, the report's counting noise (one run's noise over the scale)
and the emulated mean's uncertainty. Logs put a 10% miss on 100 installs and on 100,000
impressions on the same footing. Each lift test (scenario.lift_tests) adds the squared
difference between the simulated and measured incremental installs over its interval's
variance (its 90% interval / 3.29, squared): a Gaussian likelihood, as Robyn and Meridian
treat lift results. Where the report has breakdown groups (age, gender, region, device), each
ad set's installs by group add to the distance too. Under the emulator: each group's share
(all but one group) as one more Gaussian summary, its variance the one the draws show over the
scale (which holds both the counts' multinomial noise and the population's own). Under
rejection: 4 n sum_g (sqrt(simulated share) - sqrt(observed share))^2, the multinomial
likelihood's chi-square approximation (Hellinger), with n = installs / (1 + scale): the
report's own counts and the simulation's agents both carry sampling noise.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..rng import Streams
from ..runner import run
from ..scenario import Scenario, ScenarioError
from ..scenario.lift_tests import LiftTest
from ..scenario.past_report import PastReport
from ..scenario.sweep import ParameterRange
from .emulator import Emulator, feature_count, importance_sample, weighted_quantile
from .sweeps import ProgressFn, apply_point, breakdown_column, sweep, window_column

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CALIBRATED_METRICS", "METHODS", "Backtest", "Calibration", "backtest", "calibrate"]

CALIBRATED_METRICS = ("spend_usd", "impressions", "clicks", "installs")
# ASSUMPTION: a report total is matched to within ~10% (in log terms) by a good draw, about
# one simulation's own noise at the report's scale; it weighs the report against lift tests.
REPORT_LOG_SD = 0.1
SHARE_FLOOR_SD = 0.001  # ASSUMPTION: the least spread of a group's share of installs (emulator)
Z90 = 1.6449  # a 90% interval is +-1.645 standard deviations
METHODS = ("auto", "emulator", "rejection")


@dataclass
class Calibration:
    """The posterior draws (``posterior``: one row per draw, a column per unknown and its
    ``distance``), every draw simulated (``tried``, with its own simulation's distance), and
    the base scenario. Under the emulator, ``sample`` holds the weighted candidates the
    intervals come from and ``summaries`` how well the emulator fits each summary."""

    base: Scenario
    parameters: list[str]
    posterior: pd.DataFrame
    tried: pd.DataFrame
    # Per lift test: its measurement beside the simulated incremental installs of the posterior
    # draws (median, 5th and 95th percentiles); empty without lift tests.
    lift_fit: pd.DataFrame | None = None
    sample: pd.DataFrame | None = None  # a column per unknown and "weight"
    summaries: pd.DataFrame | None = None  # per summary: observed, noise_sd, r2

    @property
    def method(self) -> str:
        """``emulator`` or ``rejection``: how the posterior was made."""
        return "rejection" if self.sample is None else "emulator"

    def description(self) -> str:
        """How the posterior was made, in a phrase."""
        if self.method == "rejection":
            return f"{len(self.posterior)} of {len(self.tried)} draws kept (rejection ABC)"
        return (
            f"weighed by an emulator fitted to {len(self.tried)} draws; "
            f"{len(self.posterior)} posterior draws written"
        )

    def intervals(self) -> pd.DataFrame:
        """Per unknown: the posterior median and its 90% interval (5th-95th percentiles),
        beside the prior range tried."""
        import pandas as pd

        rows = {}
        for name in self.parameters:
            tried = self.tried[name].astype(float)
            if self.sample is not None:
                values = self.sample[name].to_numpy(dtype=float)
                w = self.sample["weight"].to_numpy(dtype=float)
                median, lo, hi = (weighted_quantile(values, w, q) for q in (0.5, 0.05, 0.95))
            else:
                kept = self.posterior[name].astype(float)
                median, lo, hi = kept.median(), kept.quantile(0.05), kept.quantile(0.95)
            rows[name] = {
                "median": median,
                "lo": lo,
                "hi": hi,
                "prior_lo": tried.min(),
                "prior_hi": tried.max(),
            }
        return pd.DataFrame.from_dict(rows, orient="index").rename_axis("parameter")

    def scenario(self, with_posterior: bool = True) -> Scenario:
        """The base scenario with every unknown at its posterior median and, with
        ``with_posterior``, the posterior draws as its ``posterior`` section: a run then draws
        replicate r's values from draw r mod K, so its ranges carry what the report left
        uncertain."""
        medians = self.intervals()["median"]
        point = {name: _as_field(self.tried[name], medians[name]) for name in self.parameters}
        calibrated = apply_point(self.base, point, label="calibrated")
        if not with_posterior:
            return calibrated
        draws = [
            [_as_field(self.tried[name], row[name]) for name in self.parameters]
            for _, row in self.posterior.iterrows()
        ]
        posterior = {"parameters": list(self.parameters), "draws": draws}
        return calibrated.with_changes({"posterior": posterior}, source="calibrated")


def _as_field(tried: pd.Series, value: float) -> float | int:
    """The median as the field's type: a whole number where every draw was one."""
    if all(isinstance(v, int | np.integer) for v in tried):
        return round(value)
    return float(value)


def _distance(
    sim: pd.DataFrame,
    observed: pd.DataFrame,
    lift_tests: Sequence[LiftTest] = (),
    groups: Mapping[tuple[str, str], pd.Series] | None = None,
    scale: float = 1.0,
) -> float:
    """Sum over ad sets and CALIBRATED_METRICS of ((log1p(simulated) - log1p(observed)) /
    REPORT_LOG_SD)^2, plus each lift test's ((simulated - measured) / sd)^2, plus each ad
    set's and dimension's installs by group (``groups``: observed installs per group)."""
    report = sim[list(CALIBRATED_METRICS)].reindex(observed.index)
    diff = np.log1p(report.to_numpy(dtype=float)) - np.log1p(observed.to_numpy(dtype=float))
    if not np.isfinite(diff).any():
        return math.inf
    total = float(np.nansum((diff / REPORT_LOG_SD) ** 2))
    for test in lift_tests:
        simulated = float(sim.loc[test.strategy, window_column(test.window)])
        sd = (test.hi - test.lo) / (2 * Z90)
        total += ((simulated - test.incremental_installs) / sd) ** 2
    for (strategy, dimension), counts in (groups or {}).items():
        n = float(counts.sum())
        cols = [breakdown_column(dimension, str(g)) for g in counts.index]
        simulated = sim.loc[strategy, cols].to_numpy(dtype=float)
        if n <= 0 or simulated.sum() <= 0:
            total += 0.0 if n <= 0 else 4.0 * n / (1.0 + scale)  # no installs: the largest gap
            continue
        gap = np.sqrt(simulated / simulated.sum()) - np.sqrt(counts.to_numpy() / n)
        total += 4.0 * n / (1.0 + scale) * float(np.sum(gap**2))
    return total


def _observed_groups(report: PastReport, scenario: Scenario) -> dict[tuple[str, str], pd.Series]:
    """The report's installs per ad set, breakdown dimension and group, each group checked
    against the groups adsim reports for the scenario (its age bands, region names, ...)."""
    from ..breakdown import DIMENSIONS, group_labels
    from ..params import to_params

    p = to_params(scenario)
    known = {by: set(group_labels(p, by)) for by in DIMENSIONS}
    out = {}
    for dimension in report.breakdowns:
        if dimension not in DIMENSIONS:
            continue
        labels = set(report.rows[dimension].astype(str))
        unknown = sorted(labels - known[dimension])
        if unknown:
            raise ScenarioError(report.path, [(dimension, (
                f"group {unknown[0]!r} is not one of the scenario's {dimension} groups "
                f"({', '.join(sorted(known[dimension]))}); relabel the rows or drop the column"
            ))])  # fmt: skip
        by = report.rows.groupby(["strategy", dimension])["installs"].sum()
        for strategy in report.strategies:
            out[(strategy, dimension)] = by.loc[strategy].rename(str)
    return out


def calibrate(
    scenario: Scenario,
    report: PastReport,
    fit: Mapping[str, Mapping[str, Any]],
    *,
    samples: int = 200,
    accept: float = 0.1,
    replicates: int = 1,
    method: str = "auto",
    workers: int | None = None,
    client: Any | None = None,
    out: str | Path | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
    lift_tests: Sequence[LiftTest] = (),
) -> Calibration:
    """Infer the unknowns ``fit`` (scenario path -> a range ``{"low", "high"}``, optionally
    ``log`` or ``integer``, as sweeps take them) from ``report``: ``samples``
    Latin-hypercube draws, ``replicates`` runs each, then the posterior by ``method`` (see the
    module's docstring; ``auto``: the emulator when the draws allow it). The posterior keeps
    ``accept`` x ``samples`` draws for the calibrated scenario. ``lift_tests``
    (scenario.lift_tests.read_lift_tests) add what holdout experiments measured. With ``out``
    the runs are stored there and a second call resumes."""
    if not fit:
        raise ScenarioError("calibrate", [("fit", "name at least one unknown to fit")])
    if not 0 < accept <= 1:
        raise ScenarioError("calibrate", [("accept", f"a share in (0, 1], not {accept}")])
    if method not in METHODS:
        raise ScenarioError(
            "calibrate", [("method", f"one of {', '.join(METHODS)}, not {method!r}")]
        )
    needed = 2 * feature_count(len(fit))
    if method == "emulator" and samples < needed:
        raise ScenarioError("calibrate", [("samples", (
            f"the emulator of {len(fit)} unknown(s) needs at least {needed} draws, not {samples}"
        ))])  # fmt: skip
    if report.days != scenario.horizon_days:
        raise ScenarioError(
            report.path,
            [(
                "<days>",
                f"the report covers {report.days} days and the scenario {scenario.horizon_days}: "
                "set horizon_days to the report's days",
            )],
        )  # fmt: skip
    names = {s.name for s in scenario.strategies}
    missing = [name for name in report.strategies if name not in names]
    if missing:
        raise ScenarioError(report.path, [("ad_set", f"not in the scenario: {missing}")])
    groups = _observed_groups(report, scenario)
    dimensions = list(dict.fromkeys(d for _, d in groups))
    with warnings.catch_warnings():  # one or two replicates per draw are the design here
        warnings.filterwarnings("ignore", r"\d+ replicate\(s\) per point", UserWarning)
        result = sweep(
            scenario, {k: dict(v) for k, v in fit.items()}, design="lhs", samples=samples,
            replicates=replicates, workers=workers, client=client,
            out=None if out is None else Path(out) / "runs", force=force, progress=progress,
            name=f"{scenario.name} calibration",
            windows=list(dict.fromkeys(t.window for t in lift_tests)),
            breakdowns=dimensions, common_random_numbers=False,
        )  # fmt: skip
    observed = report.totals()[list(CALIBRATED_METRICS)]
    columns = list(CALIBRATED_METRICS) + list(
        dict.fromkeys(window_column(t.window) for t in lift_tests)
    )
    columns += [c for c in result.rows.columns if c.startswith("installs[")]
    means = result.rows.groupby(["point", "strategy"])[columns].mean()
    tried = result.points.copy()
    scale = scenario.population.scale
    tried["distance"] = [
        _distance(means.xs(k, level="point"), observed, lift_tests, groups, scale)
        for k in tried.index
    ]
    keep = max(1, math.ceil(accept * len(tried)))
    if method == "rejection" or (method == "auto" and len(tried) < needed):
        posterior = tried.nsmallest(keep, "distance", keep="first")
        lifts = np.array([
            [means.loc[(k, t.strategy), window_column(t.window)] for t in lift_tests]
            for k in posterior.index
        ])  # fmt: skip
        calibration = Calibration(
            scenario, list(fit), posterior, tried, _lift_fit(lift_tests, lifts)
        )
    else:
        calibration = _emulated(
            scenario, fit, tried, means, observed, lift_tests, groups, replicates, keep
        )
    if out is not None:
        _write(calibration, Path(out))
    return calibration


def _emulated(
    scenario: Scenario,
    fit: Mapping[str, Mapping[str, Any]],
    tried: pd.DataFrame,
    means: pd.DataFrame,
    observed: pd.DataFrame,
    lift_tests: Sequence[LiftTest],
    groups: Mapping[tuple[str, str], pd.Series],
    replicates: int,
    keep: int,
) -> Calibration:
    """The posterior under the emulator of every summary (module docstring): weighted
    candidates, ``keep`` draws taken from them by systematic resampling, and the fit of each
    summary."""
    import pandas as pd

    names = list(fit)
    ranges = [ParameterRange.model_validate(dict(fit[n])) for n in names]
    u = np.column_stack([r.unit(tried[n]) for n, r in zip(names, ranges, strict=True)])
    points = list(tried.index)

    def simulated(strategy: str, column: str) -> np.ndarray:
        return means.xs(strategy, level="strategy")[column].reindex(points).to_numpy(float)

    columns, obs, floor_sd, labels = [], [], [], []
    for strategy in observed.index:
        for metric in CALIBRATED_METRICS:
            value = float(observed.loc[strategy, metric])
            if np.isfinite(value):
                columns.append(np.log1p(simulated(strategy, metric)))
                obs.append(math.log1p(value))
                floor_sd.append(REPORT_LOG_SD)
                labels.append(f"{strategy} log1p({metric})")
    logs = len(columns)
    for t in lift_tests:
        columns.append(simulated(t.strategy, window_column(t.window)))
        obs.append(t.incremental_installs)
        floor_sd.append((t.hi - t.lo) / (2 * Z90))
        labels.append(f"{t.strategy} incremental installs, days {t.first_day}-{t.last_day}")
    lifts = slice(logs, len(columns))
    # Shares of installs by group: every group but the last (the shares add up to 1).
    # Gaussian like the totals, with the variance the draws show: that holds the counts'
    # multinomial noise and the population's own (which people are car fans, their genders),
    # both of which shrink with the scale as the totals' noise does. ASSUMPTION: a 0.1-point
    # floor, so a share no draw moves still weighs finitely.
    for (strategy, dimension), counts in groups.items():
        n = float(counts.sum())
        if n <= 0 or len(counts) < 2:
            continue  # no installs, or one group: the shares say nothing
        by_group = np.column_stack([
            simulated(strategy, breakdown_column(dimension, str(g))) for g in counts.index
        ])  # fmt: skip
        total = by_group.sum(axis=1, keepdims=True)
        share = np.where(total > 0, by_group / np.where(total > 0, total, 1.0), np.nan)
        for g, col in list(zip(counts.index, share.T, strict=True))[:-1]:
            columns.append(col)
            obs.append(float(counts[g]) / n)
            floor_sd.append(SHARE_FLOOR_SD)
            labels.append(f"{strategy} share of installs, {dimension} {g}")
    emulator = Emulator.fit(u, np.column_stack(columns))
    observed_y = np.asarray(obs)
    # A draw's summary is the mean of `replicates` runs, with variance noise_sd^2; one run's
    # is replicates x that; the report counts people, not agents that stand for `scale`
    # people each, so its counting variance is one run's over the scale.
    scale = scenario.population.scale
    report_var = emulator.noise_sd**2 * replicates / scale
    var = np.asarray(floor_sd) ** 2 + report_var + emulator.noise_sd**2 * emulator.leverage
    # The emulator fits the mean of log(1 + total), which lies below the log of the mean
    # total by half the log's variance (lognormal delta method); the report's log lies below
    # it by half its own, smaller variance. Shift the emulated logs by the difference, so a
    # noisier simulation does not read as a smaller campaign.
    shift = np.zeros(len(columns))
    shift[:logs] = 0.5 * (emulator.noise_sd[:logs] ** 2 - report_var[:logs])

    def distance(c: np.ndarray) -> np.ndarray:
        return np.sum((emulator.predict(c) + shift - observed_y) ** 2 / var, axis=1)

    rng = Streams(scenario.seed).get("calibration posterior")
    candidates, weights, ess = importance_sample(lambda c: -0.5 * distance(c), len(names), rng)
    if ess < 100:
        warnings.warn(
            f"the posterior rests on {ess:.0f} effective candidates: its intervals are rough",
            UserWarning, stacklevel=3,
        )  # fmt: skip
    positions = (rng.random() + np.arange(keep)) / keep  # systematic resampling
    chosen = candidates[
        np.minimum(np.searchsorted(np.cumsum(weights), positions), len(weights) - 1)
    ]

    def values(c: np.ndarray) -> dict[str, list]:
        return {
            n: [r.at(float(x)) for x in c[:, i]]
            for i, (n, r) in enumerate(zip(names, ranges, strict=True))
        }

    posterior = pd.DataFrame(values(chosen)).rename_axis("draw")
    posterior["distance"] = distance(chosen)
    sample = pd.DataFrame(values(candidates))
    sample["weight"] = weights
    summaries = pd.DataFrame({
        "summary": labels, "observed": observed_y, "noise_sd": emulator.noise_sd,
        "r2": emulator.r2,
    })  # fmt: skip
    expected_lifts = emulator.predict(chosen)[:, lifts]
    lift_fit = _lift_fit(lift_tests, expected_lifts)
    return Calibration(
        scenario, names, posterior, tried, lift_fit, sample, summaries
    )  # fmt: skip


def _lift_fit(lift_tests: Sequence[LiftTest], simulated: np.ndarray) -> pd.DataFrame | None:
    """Each lift test's measurement beside the posterior draws' incremental installs
    (``simulated``: a row per draw, a column per test)."""
    import pandas as pd

    if not lift_tests:
        return None
    rows = []
    for j, t in enumerate(lift_tests):
        sim = simulated[:, j]
        rows.append({
            "ad_set": t.strategy, "first_day": t.first_day, "last_day": t.last_day,
            "incremental_installs": t.incremental_installs, "lo": t.lo, "hi": t.hi,
            "simulated_median": float(np.median(sim)),
            "simulated_lo": float(np.quantile(sim, 0.05)),
            "simulated_hi": float(np.quantile(sim, 0.95)),
        })  # fmt: skip
    return pd.DataFrame(rows)


def _write(calibration: Calibration, out: Path) -> None:
    import yaml

    out.mkdir(parents=True, exist_ok=True)
    calibration.tried.to_csv(out / "draws.csv")
    calibration.posterior.to_csv(out / "posterior.csv")
    calibration.intervals().to_csv(out / "intervals.csv")
    if calibration.summaries is not None:
        calibration.summaries.to_csv(out / "emulator.csv", index=False)
    if calibration.lift_fit is not None:
        calibration.lift_fit.to_csv(out / "lift_tests.csv", index=False)
    data = calibration.scenario().model_dump(mode="json", by_alias=True, exclude_unset=True)
    header = (
        "# Calibrated by adsim calibrate: the unknowns at their posterior medians, and posterior\n"
        "# draws under posterior: (replicate r of a run uses draw r mod K). Their 90% intervals\n"
        "# are in intervals.csv.\n"
    )
    (out / "calibrated.yaml").write_text(header + yaml.safe_dump(data, sort_keys=False))


@dataclass
class Backtest:
    """A calibration on a report's first days and its prediction of the rest: ``daily`` has
    one row per held-out day and ad set (observed, predicted mean, 5-95% range), ``errors``
    one row per metric."""

    train_days: int
    calibration: Calibration
    daily: pd.DataFrame
    errors: pd.DataFrame
    series: pd.DataFrame  # the prediction's daily series over every day (Result.timeseries)


def backtest(
    scenario: Scenario,
    report: PastReport,
    fit: Mapping[str, Mapping[str, Any]],
    train_days: int,
    *,
    predict_replicates: int = 10,
    **calibrate_options: Any,
) -> Backtest:
    """Calibrate on the report's days ``[0, train_days)`` (the scenario cut to them; options as
    :func:`calibrate` takes them), then run the calibrated scenario, posterior draws and all,
    ``predict_replicates`` times over the whole report and compare the
    held-out days: the error of daily installs and spend (weighted absolute error: sum of
    |predicted mean - observed| / sum of observed), of the held-out CPI per ad set, and how
    often the observed values fall inside the predicted 5-95% range. Lift tests among the
    options are used when they end within the training days."""
    import pandas as pd

    if not 0 < train_days < report.days:
        raise ScenarioError(
            report.path,
            [("train_days", f"between 1 and {report.days - 1} (the report has {report.days})")],
        )
    lifts = [t for t in calibrate_options.pop("lift_tests", ()) if t.last_day < train_days]
    trained = calibrate(
        scenario.with_changes({"horizon_days": train_days}), report.until(train_days), fit,
        lift_tests=lifts, **calibrate_options,
    )  # fmt: skip
    full = trained.scenario().with_changes({"horizon_days": scenario.horizon_days})
    series = run(
        full, replicates=predict_replicates, workers=calibrate_options.get("workers"),
        client=calibrate_options.get("client"),
    ).timeseries()  # fmt: skip
    held = series[series["day"] >= train_days]
    grouped = held.groupby(["day", "strategy"])
    metrics = ["installs", "spend_usd", "clicks"]
    predicted = grouped[metrics].mean()
    lo = grouped[metrics].quantile(0.05)
    hi = grouped[metrics].quantile(0.95)
    observed = report.daily()
    observed = observed[observed.index.get_level_values("day") >= train_days][metrics]
    daily = observed.join(
        [predicted.add_suffix("_pred"), lo.add_suffix("_lo"), hi.add_suffix("_hi")]
    )
    rows = {}
    for m in metrics:
        err = (daily[f"{m}_pred"] - daily[m]).abs().sum() / max(daily[m].sum(), 1e-9)
        inside = ((daily[m] >= daily[f"{m}_lo"]) & (daily[m] <= daily[f"{m}_hi"])).mean()
        rows[m] = {"weighted_abs_error": err, "inside_90": inside}
    per_set = daily.groupby("strategy")[["spend_usd", "installs", "spend_usd_pred",
                                         "installs_pred"]].sum()  # fmt: skip
    cpi_obs = per_set["spend_usd"] / per_set["installs"].where(per_set["installs"] > 0)
    cpi_pred = per_set["spend_usd_pred"] / per_set["installs_pred"].where(
        per_set["installs_pred"] > 0
    )
    rows["cpi_usd"] = {
        "weighted_abs_error": float(((cpi_pred - cpi_obs).abs() / cpi_obs).mean()),
        "inside_90": float("nan"),
    }
    errors = pd.DataFrame.from_dict(rows, orient="index").rename_axis("metric")
    return Backtest(train_days, trained, daily.reset_index(), errors, series)
