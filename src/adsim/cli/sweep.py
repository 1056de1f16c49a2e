"""``adsim sweep``: run a scenario over a sweep spec's points, resumably, and decide from it."""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from .common import (
    EXIT_BAD_INPUT,
    add_execution_arguments,
    announce_compile,
    check_out_dir,
    dask_client,
    int_at_least,
    run_many,
    stop_if_signalled,
)

if TYPE_CHECKING:
    import pandas as pd

    from ..experiments import SweepResult

__all__ = ["add_parser", "command"]

EXAMPLES = """\
examples:
  adsim sweep sweeps/quickstart_budget.yaml --out out/budget
  adsim sweep sweeps/quickstart_robustness.yaml --out out/robust --workers 2
  adsim sweep my_sweep.yaml --out out/s --scheduler tcp://10.0.0.5:8786

Re-running the same command resumes: finished runs in DIR are kept, the rest run.
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="run a scenario over many parameter points (budgets, assumptions)",
        description="Run a sweep spec: its base scenario at every point of a grid, a list, or "
        "random / Latin-hypercube samples, with common random numbers across points. Prints "
        "the winner per point, budget curves and a budget split (budget_scale sweeps), or "
        "how robust the ranking is (sampled designs).",
        epilog=EXAMPLES,
    )
    p.add_argument("spec", type=Path, help="sweep spec file (.yaml or .json)")
    p.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="store every finished run in DIR at once (Parquet) and the tables at the end; "
        "the same command resumes an interrupted sweep",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="discard another sweep's results in --out DIR; run a sweep expected to take "
        "more than 12 h",
    )
    p.add_argument(
        "--replicates",
        type=int_at_least(1),
        metavar="N",
        help="replicates per point (default: the spec's)",
    )
    add_execution_arguments(p)
    p.add_argument("--no-progress", action="store_true", help="show no progress")


def command(args: argparse.Namespace, out: Console, err: Console) -> int:
    from ..scenario import ScenarioError, load_scenario
    from ..scenario.sweep import load_sweep_spec

    try:
        spec, scenario_path = load_sweep_spec(args.spec)
        if args.replicates is not None:
            spec = type(spec).model_validate({**spec.model_dump(), "replicates": args.replicates})
    except ScenarioError as exc:
        err.print(str(exc), markup=False, highlight=False)
        return EXIT_BAD_INPUT
    try:
        base = load_scenario(scenario_path)
    except ScenarioError as exc:
        err.print(f"{args.spec}: scenario: {scenario_path}:", markup=False, highlight=False)
        err.print(str(exc), markup=False, highlight=False)
        return EXIT_BAD_INPUT
    if args.out is not None and (problem := check_out_dir(args.out, args.force, False)):
        err.print(problem, markup=False)
        return EXIT_BAD_INPUT

    from ..experiments import sweep_from_spec

    if not args.no_progress:
        announce_compile(err)
    start = time.perf_counter()
    last = [-1]

    def progress(done: int, total: int) -> None:
        stop_if_signalled()
        if args.no_progress or done == last[0]:
            return
        last[0] = done
        elapsed = time.perf_counter() - start
        err.print(f"{spec.name}: {done}/{total} runs ({elapsed:.0f} s)", markup=False)

    def work() -> SweepResult:
        with dask_client(args.scheduler) as client:
            return sweep_from_spec(
                spec, base, workers=args.workers, client=client, out=args.out, force=args.force,
                progress=progress, command=shlex.join(["adsim", *sys.argv[1:]]),
            )  # fmt: skip

    code, result = run_many(work, err, args.out)
    if code:
        return code
    written = print_and_write(result, spec, out, args.out)
    if args.out is not None:
        out.print(f"wrote {', '.join(written)} to {args.out}", highlight=False)
    return 0


def print_and_write(result: SweepResult, spec, console: Console, out_dir: Path | None) -> list[str]:
    """Print the sweep's decision tables and write them to ``out_dir``; returns file names."""
    from ..confidence import metric_label
    from ..experiments.sweeps import sweep_notices
    from ..outputs import for_output
    from ..report.tables import fmt, print_fitting
    from ..scenario.sweep import BUDGET_SCALE

    files: dict[str, pd.DataFrame] = {}
    metric = metric_label(result.rank_by)
    winners = result.winners()
    summary = result.summary()
    n_points = len(result.points)
    head = f"{result.name}: {n_points} points x {result.replicates} replicates, seed {result.seed}"
    rows = []
    label = _short_names(result.parameters)
    for k, row in winners.iterrows():
        at = summary[summary["point"] == k].set_index("strategy")[result.rank_by]
        values = ", ".join(f"{label[p]}={_short(row[p])}" for p in result.parameters)
        cells = [
            str(row["winner"]),
            fmt(row["p_best"], "pct"),
            fmt(row["winner_spend_usd"], "money0"),
            fmt(row["winner_budget_used"], "pct"),
        ]
        cells += [fmt(float(at[s]), "money2") for s in result.strategies]
        rows.append((f"{k}: {values}" if values else str(k), cells))
    if n_points <= 40:
        print_fitting(
            console, f"{head}: {metric} per point", "point",
            ["winner", "P(best)", "its spend $", "its budget used", *result.strategies], rows,
        )  # fmt: skip
    for line in sweep_notices(result):
        console.print(line, markup=False, highlight=False)
    files["winners.csv"] = for_output(winners.reset_index())

    if spec.design in ("random", "lhs") and n_points > 1:
        rob = result.robustness()
        share = rob.win_share()
        print_fitting(
            console, f"Share of {n_points} sampled points each strategy wins (by {metric})", "",
            list(share.index), [("win share", [fmt(v, "pct") for v in share])],
        )  # fmt: skip
        infl = rob.influence()
        if len(infl):
            print_fitting(
                console, "What moves the ranking: winner shift below/above each assumption's "
                "median (0 none, 1 decides) and Spearman rho with each strategy's cost",
                "", list(infl.index),
                [(c, [fmt(v, "f2") for v in infl[c]]) for c in infl.columns],
            )  # fmt: skip
            files["robustness.csv"] = for_output(infl.reset_index())

    if result.parameters == [BUDGET_SCALE]:
        curves = result.budget_curves()
        table = curves.table()
        labels = [f"x{_short(s)}" for s in curves.scales]
        for name in curves.strategies:
            mine = table[table["strategy"] == name]
            print_fitting(
                console, f"Budget curve: {name}", "budget scale", labels,
                [
                    ("budget $", [fmt(v, "money0") for v in mine["budget_usd"]]),
                    ("spend $", [fmt(v, "money0") for v in mine["spend_usd"]]),
                    ("incr. installs", [fmt(v, "int") for v in mine["incremental_installs"]]),
                    ("iCPI $", [fmt(v, "money2") for v in mine["icpi_usd"]]),
                    ("marginal iCPI $", [fmt(v, "money2") + ("" if on else " *") for v, on
                                         in zip(mine["marginal_icpi_usd"], mine["on_envelope"],
                                                strict=True)]),
                ],
            )  # fmt: skip
        console.print(
            "marginal iCPI: the extra spend per extra incremental install from the previous "
            "budget (∞: more budget bought none). * a budget below the curve's concave "
            "envelope (a dip from noise, or a step that bought little): the allocator bridges "
            "it, so it never funds a strategy up to such a kink only to stop there.",
            markup=False,
            highlight=False,
        )
        files["budget_curves.csv"] = for_output(table)
        if spec.allocate is not None:
            from ..experiments import allocate

            alloc = allocate(
                curves, total_usd=spec.allocate.total_usd, extra_usd=spec.allocate.extra_usd
            )
            split = alloc.table()
            print_fitting(
                console, f"Splitting ${alloc.total_usd:,.0f} for the most incremental installs",
                "strategy", list(split.columns),
                [(name, [fmt(v, "money2") for v in r]) for name, r in split.iterrows()],
            )  # fmt: skip
            outcome = alloc.outcome_table()
            print_fitting(
                console, "Incremental installs of each split (mean [5%-95%] over replicates)",
                "", list(outcome.index),
                [("installs", [
                    f"{fmt(r.incremental_installs, 'int')} [{fmt(r.incremental_installs_lo, 'int')}"
                    f"-{fmt(r.incremental_installs_hi, 'int')}]" + ("" if r.within_curves else " *")
                    for r in outcome.itertuples()
                ])],
            )  # fmt: skip
            if not all(alloc.within_curves.values()):
                console.print(
                    "* part of this split lies beyond the largest simulated budget and is "
                    "counted at it; widen budget_scale to measure it",
                    markup=False,
                    highlight=False,
                )
            files["allocation.csv"] = for_output(split.reset_index())
            files["allocation_outcomes.csv"] = for_output(outcome.reset_index())
    if out_dir is not None:
        from ..experiments.store import SweepStore

        SweepStore(out_dir).write_tables(files)
        return ["manifest.json", "points.csv", "runs/", "rows.parquet", "summary.csv", *files]
    return []


def _short_names(paths: list[str]) -> dict[str, str]:
    """Each parameter path by its last part where that is unambiguous (``cpm_median_usd``)."""
    last = {p: p.split(".")[-1] for p in paths}
    taken = list(last.values())
    return {p: (short if taken.count(short) == 1 else p) for p, short in last.items()}


def _short(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
