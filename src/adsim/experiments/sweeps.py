"""What-if sweeps: one scenario run at many parameter points, with common random numbers.

Every point runs replicates 0..R-1 of the same seed, so point A's replicate r and point B's
replicate r share the population and every draw that the parameters do not change: a
difference between points is the parameters' effect, not noise (a calibration turns this off:
each point then runs its own streams). Tasks (point, replicate) run
through :class:`adsim.parallel.Executor` (here, local processes, or Dask) and, with ``out``,
each finished task is stored at once (:class:`SweepStore`), so a sweep resumes where it
stopped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..confidence import Confidence, confidence_from_metrics
from ..engine import RunRecord
from ..metrics import METRICS, record_metrics, summary_frame
from ..outputs import versions
from ..parallel import Executor, available_cores
from ..params import Params, to_params
from ..resources import check_memory, estimate_run_seconds, format_duration
from ..runner import as_scenario, default_workers, run_replicate
from ..scenario import Scenario, ScenarioError
from ..scenario.edit import plain_value
from ..scenario.sweep import BUDGET_SCALE, SweepSpec
from ..verdict import UNDERSPENT
from .budget import BudgetCurves, scale_budget
from .design import design_points
from .robustness import Robustness
from .store import SweepStore

if TYPE_CHECKING:
    import pandas as pd


__all__ = [
    "FEW_REPLICATES",
    "MAX_UNASKED_S",
    "SweepResult",
    "SweepSizeError",
    "apply_point",
    "sweep",
    "sweep_from_spec",
    "sweep_notices",
]

ProgressFn = Callable[[int, int], None]  # (tasks done, tasks in all)
MAX_UNASKED_S = 12 * 3600  # a sweep expected to take longer runs only when asked (force)


class SweepSizeError(ValueError):
    """The sweep would take far longer than anyone would start by accident."""


KEYS = ("point", "replicate", "strategy")


def apply_point(base: Scenario, point: Mapping[str, Any], label: str = "") -> Scenario:
    """``base`` with one point's values set (``budget_scale`` multiplies every strategy's
    daily and lifetime budgets), validated."""
    changes: dict[str, Any] = {}
    for path, value in point.items():
        if path == BUDGET_SCALE:
            changes["strategies.*.budget"] = scale_budget(float(value))
        else:
            changes[path] = value
    return base.with_changes(changes, source=label or f"{base.name} at {point}")


def window_column(window: tuple[int, int]) -> str:
    """The rows' column of incremental installs over days ``window`` (inclusive)."""
    return f"incremental_installs_days_{window[0]}_{window[1]}"


def breakdown_column(dimension: str, group: str) -> str:
    """The rows' column of attributed installs by one breakdown group."""
    return f"installs[{dimension}={group}]"


def _rows(
    record: RunRecord,
    point: int,
    replicate: int,
    values: Mapping[str, Any],
    windows: Sequence[tuple[int, int]] = (),
    breakdowns: Sequence[str] = (),
):
    """One task's tidy rows: one per strategy, every metric and the point's values, the
    incremental installs over each of ``windows`` (days, inclusive; lift tests read them)
    and the attributed installs by each group of ``breakdowns`` (dimensions)."""
    import pandas as pd

    metrics = record_metrics(record)
    n = len(record.strategy_names)
    caused = (record.installs_with - record.installs_without) * record.scale  # (D, S)
    extra = {window_column(w): caused[w[0] : w[1] + 1].sum(axis=0)[:n] for w in windows}
    for dim in breakdowns:
        labels, by_group = record.breakdowns[dim]
        for g, label in enumerate(labels):
            extra[breakdown_column(dim, label)] = by_group["installs"][:n, g] * record.scale
    frame = pd.DataFrame(
        {
            "point": np.full(n, point, dtype=np.int64),
            "replicate": np.full(n, replicate, dtype=np.int64),
            "strategy": record.strategy_names,
            **{name: [value] * n for name, value in values.items()},
            "budget_usd": record.budget_total_usd[:n] if record.budget_total_usd.size else np.nan,
            **{m: metrics[m] for m in METRICS},
            **extra,
        }
    )
    return frame


@dataclass
class SweepResult:
    """A sweep's tidy rows (one per point x replicate x strategy) and its points."""

    name: str
    parameters: list[str]
    points: pd.DataFrame  # one row per point: its parameter values
    rows: pd.DataFrame
    replicates: int
    seed: int
    rank_by: str = "cpi_usd"
    spec: dict[str, Any] = field(default_factory=dict)
    paid_strategies: list[str] = field(default_factory=list)  # the rest are organic tactics
    damaged_runs: list[str] = field(default_factory=list)  # store files found broken, rerun

    @property
    def strategies(self) -> list[str]:
        return list(dict.fromkeys(self.rows["strategy"]))

    @cached_property
    def _stacked(self) -> dict[int, dict[str, np.ndarray]]:
        """point -> metric -> (replicates, strategies), pivoted once."""
        out = {}
        for k, at in self.rows.groupby("point", sort=True):
            wide = at.pivot(index="replicate", columns="strategy", values=list(METRICS))
            out[int(k)] = {m: wide[m][self.strategies].to_numpy(dtype=np.float64) for m in METRICS}
        return out

    def stacked(self, point: int) -> dict[str, np.ndarray]:
        """metric -> (replicates, strategies) at ``point``."""
        return self._stacked[point]

    @cached_property
    def confidences(self) -> dict[int, Confidence]:
        """point -> how sure the ranking by ``rank_by`` is there (computed once)."""
        return {
            int(k): confidence_from_metrics(
                self.stacked(int(k)), self.strategies, self.rank_by, self.seed
            )
            for k in self.points.index
        }

    def summary(self) -> pd.DataFrame:
        """Per point and strategy: the run summary's metrics (ratios of replicate means, with
        5-95% ranges) next to the point's parameter values."""
        import pandas as pd

        frames = []
        for k in self.points.index:
            s = summary_frame(self.stacked(int(k)), self.strategies).reset_index()
            for name in self.parameters:
                s.insert(0, name, self.points.loc[k, name])
            s.insert(0, "point", int(k))
            frames.append(s)
        return pd.concat(frames, ignore_index=True)

    def winners(self) -> pd.DataFrame:
        """Per point: the leading strategy by ``rank_by`` (the highest P(best) over the
        paired replicates), its P(best), and what it spent: ``winner_spend_usd`` (replicate
        mean) and ``winner_budget_used``, so a winner that did not spend its budget shows."""
        import pandas as pd

        out = []
        for k, conf in self.confidences.items():
            row = {"point": k, "winner": conf.leader, "p_best": conf.p_leader}
            if conf.leader is not None:
                j = self.strategies.index(conf.leader)
                at = self.stacked(k)
                row["winner_spend_usd"] = float(np.mean(at["spend_usd"][:, j]))
                row["winner_budget_used"] = float(np.nanmean(at["budget_used"][:, j]))
            out.append(row)
        frame = pd.DataFrame(out).set_index("point")
        for col in ("winner_spend_usd", "winner_budget_used"):
            if col not in frame:
                frame[col] = np.nan
        return frame.join(self.points)

    def budget_curves(self) -> BudgetCurves:
        """Spend -> installs and incremental installs per strategy (needs ``budget_scale``)."""
        return BudgetCurves.from_sweep(self)

    def robustness(self) -> Robustness:
        """How often each strategy wins across the points, and which parameters move it."""
        return Robustness.from_sweep(self)


FEW_REPLICATES = 3  # below this many replicates per point, a sweep's winners are mostly noise


def sweep_notices(result: SweepResult) -> list[str]:
    """What a planner must know before reading a sweep's winners: too few replicates per
    point, and winners that did not spend their budget (a low cost on little volume)."""
    notes = []
    if result.damaged_runs:
        notes.append(
            f"note: {len(result.damaged_runs)} stored run file(s) could not be read (cut "
            f"short or not Parquet: {', '.join(result.damaged_runs[:3])}"
            f"{', ...' if len(result.damaged_runs) > 3 else ''}) and were run again."
        )
    if result.replicates < FEW_REPLICATES:
        notes.append(
            f"warning: {result.replicates} replicate(s) per point: a winner at one point is "
            f"mostly noise and win shares are not reliable; use {FEW_REPLICATES} or more."
        )
    winners = result.winners()
    short = winners[winners["winner_budget_used"] < UNDERSPENT]
    for k, row in short.iterrows():
        notes.append(
            f"note: at point {k} the winner {row['winner']} spent ${row['winner_spend_usd']:,.0f}, "
            f"{row['winner_budget_used']:.0%} of its budget: its low cost buys less volume."
        )
    return notes


def sweep(
    scenario: Scenario | Mapping[str, Any] | str | Path,
    parameters: Mapping[str, Sequence[Any] | Mapping[str, Any]] | None = None,
    *,
    design: str = "grid",
    points: Sequence[Mapping[str, Any]] = (),
    samples: int | None = None,
    replicates: int = 3,
    seed: int | None = None,
    rank_by: str = "cpi_usd",
    workers: int | None = None,
    client: Any | None = None,
    out: str | Path | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
    command: str | None = None,
    name: str | None = None,
    windows: Sequence[tuple[int, int]] = (),
    breakdowns: Sequence[str] = (),
    common_random_numbers: bool = True,
) -> SweepResult:
    """Run ``scenario`` at every point of a design and return the tidy rows.

    ``parameters`` maps scenario paths (strategies by name, ``*`` for all; see
    :meth:`Scenario.with_changes`) or ``budget_scale`` to a list of values or a range
    (``{"low": 8, "high": 24}``, plus ``steps`` on a grid, ``log``, ``integer``). ``design``
    is ``grid`` (every combination), ``points`` (the given ``points``), ``random`` or
    ``lhs`` (``samples`` draws). With ``out``, each finished (point, replicate) is written to
    that folder at once and a second call with the same sweep resumes it. ``windows`` adds
    each strategy's incremental installs over those days (inclusive) to the rows, and
    ``breakdowns`` its attributed installs by each group of those dimensions. Without
    ``common_random_numbers`` each point runs its own streams (see SweepSpec).
    """
    base = as_scenario(scenario)
    if isinstance(replicates, int) and 0 < replicates < FEW_REPLICATES:
        import warnings

        warnings.warn(
            f"{replicates} replicate(s) per point: a sweep's winners are mostly noise below "
            f"{FEW_REPLICATES}",
            UserWarning,
            stacklevel=2,
        )
    data = {
        "name": name or f"{base.name} sweep",
        "scenario": "<given>",
        "seed": seed,
        "replicates": replicates,
        "design": design,
        "parameters": {k: plain_value(v) for k, v in dict(parameters or {}).items()},
        "points": [dict(p) for p in points],
        "samples": samples,
        "rank_by": rank_by,
        "common_random_numbers": common_random_numbers,
    }
    spec = _validate_spec(data)
    return sweep_from_spec(
        spec, base, workers=workers, client=client, out=out, force=force, progress=progress,
        command=command, windows=windows, breakdowns=breakdowns,
    )  # fmt: skip


def _validate_spec(data: dict[str, Any]) -> SweepSpec:
    from pydantic import ValidationError

    from ..scenario.errors import friendly_problems

    try:
        return SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError("sweep", friendly_problems(exc, data, SweepSpec)) from None


def sweep_from_spec(
    spec: SweepSpec,
    base: Scenario,
    *,
    workers: int | None = None,
    client: Any | None = None,
    out: str | Path | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
    command: str | None = None,
    windows: Sequence[tuple[int, int]] = (),
    breakdowns: Sequence[str] = (),
) -> SweepResult:
    """Run a validated :class:`SweepSpec` on ``base`` (see :func:`sweep`)."""
    import pandas as pd

    seed = base.seed if spec.seed is None else spec.seed
    pts = design_points(spec.design, spec.parameters, spec.points, spec.samples, seed)
    if not force:
        _check_size(len(pts), spec.replicates, base, workers, client)
    names = list(dict.fromkeys(k for p in pts for k in p))
    params: list[Params] = []
    for k, point in enumerate(pts):
        sc = apply_point(base, point, label=f"{spec.name}: point {k} {_show(point)}")
        params.append(replace(to_params(sc), seed=seed))
    biggest = max(params, key=lambda p: p.n_agents * len(p.strategies))
    check_memory(biggest)
    points_frame = pd.DataFrame(
        [{n: p.get(n) for n in names} for p in pts], index=pd.Index(range(len(pts)), name="point")
    )
    tasks = [(k, r) for k in range(len(pts)) for r in range(spec.replicates)]
    store = None
    done: set[tuple[int, int]] = set()
    if out is not None:
        store = SweepStore(out)
        identity = {
            "scenario_sha256": base.digest(),
            "points": pts,
            "replicates": spec.replicates,
            "seed": seed,
        }
        if windows:  # rows stored without these columns cannot serve this sweep
            identity["windows"] = [list(w) for w in windows]
        if breakdowns:
            identity["breakdowns"] = list(breakdowns)
        if not spec.common_random_numbers:
            identity["common_random_numbers"] = False
        store.open(identity, _manifest(spec, base, seed, len(pts), command), force=force)
        store.root.joinpath("points.csv").write_text(points_frame.reset_index().to_csv(index=False))
        done = store.finished()
    todo = [t for t in tasks if t not in done]
    frames: dict[tuple[int, int], pd.DataFrame] = {}
    if workers is None:
        workers = default_workers(biggest, len(todo))
    if progress is not None:
        progress(len(tasks) - len(todo), len(tasks))
    finished = len(tasks) - len(todo)
    # Replicate r of point k runs the streams of replicate r, or of k x R + r without common
    # random numbers (rows keep r: the replicate within its point).
    stride = 0 if spec.common_random_numbers else spec.replicates
    with Executor(workers, client) as ex:
        runs = ex.map_unordered(run_replicate, [(params[k], k * stride + r) for k, r in todo])
        for i, record in runs:
            k, r = todo[i]
            rows = _rows(record, k, r, pts[k], windows, breakdowns)
            if store is not None:
                store.write(k, r, rows)  # at once: a later interruption cannot lose it
            else:
                frames[(k, r)] = rows
            finished += 1
            if progress is not None:
                progress(finished, len(tasks))
    rows = (
        store.read_rows()
        if store is not None
        else pd.concat([frames[t] for t in tasks], ignore_index=True)
    )
    rows = rows.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)
    result = SweepResult(
        name=spec.name,
        parameters=names,
        points=points_frame,
        rows=rows,
        replicates=spec.replicates,
        seed=seed,
        rank_by=spec.rank_by,
        spec=spec.model_dump(mode="json"),
        paid_strategies=[s.name for s in base.strategies],
        damaged_runs=[] if store is None else store.damaged,
    )
    if store is not None:
        store.finish({"rows.parquet": rows, "summary.csv": _for_csv(result.summary())})
    return result


def _check_size(
    n_points: int, replicates: int, base: Scenario, workers: int | None, client: Any | None
) -> None:
    """Refuse (SweepSizeError) a sweep that would run longer than MAX_UNASKED_S, saying how
    long: before any point is built, so a 10^7-run typo costs nothing. The time is rough (the
    base scenario's size; points may change it)."""
    runs = n_points * replicates
    if client is not None:
        lanes = max(1, sum(client.nthreads().values()))
    else:
        lanes = max(1, workers or available_cores())
    each_s = estimate_run_seconds(base.population.agents, base.horizon_days)
    total_s = runs * each_s / lanes
    if total_s > MAX_UNASKED_S:
        raise SweepSizeError(
            f"{n_points:,} points x {replicates:,} replicates = {runs:,} runs, about "
            f"{format_duration(total_s)} on {lanes} worker(s) (~{each_s:.2g} s a run): more "
            f"than {format_duration(MAX_UNASKED_S)}; use fewer points or replicates, or add "
            "--force (force=True) to run it"
        )


def _for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    from ..outputs import for_output

    return for_output(frame)


def _show(point: Mapping[str, Any]) -> str:
    return "(" + ", ".join(f"{k}={v}" for k, v in point.items()) + ")"


def _manifest(spec: SweepSpec, base: Scenario, seed: int, n_points: int, command: str | None):
    return {
        "sweep": spec.name,
        "spec": json.loads(spec.model_dump_json()),
        "scenario": base.name,
        "scenario_sha256": base.digest(),
        "seed": seed,
        "points": n_points,
        "replicates": spec.replicates,
        "command": command,
        "versions": versions(),
    }
