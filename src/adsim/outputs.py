"""Writing a run's results: the files of an ``--out`` folder, at the precision files show.

Everything is written to a temporary folder first, so a folder holds whole results or none.
"""

from __future__ import annotations

import datetime
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .columns import COUNT_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

    from .result import Result

__all__ = [
    "OUTPUT_FILES",
    "export_mmm_table",
    "export_past_report",
    "for_output",
    "save_result",
    "versions",
]

OUTPUT_FILES = (
    "summary.csv",
    "timeseries.parquet",
    "hourly.parquet",
    "events.csv",
    "breakdown.csv",
    "win_matrix.csv",
    "audience_overlap.csv",
    "posts.csv",
    "install_sources.csv",
    "followers.csv",
    "scenario.json",
    "manifest.json",
)  # manifest last


def versions() -> dict[str, str]:
    """Versions of adsim and the libraries that decide its numbers, for manifests."""
    import platform

    import numba
    import pandas as pd

    from . import __version__

    return {
        "adsim": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "pandas": pd.__version__,
    }


def save_result(
    result: Result, out_dir: str | Path, overwrite: bool = False, command: str | None = None
) -> Path:
    """Write ``result``'s files of ``OUTPUT_FILES`` to ``out_dir`` (docs/outputs.md describes each
    column); ``command`` is recorded in the manifest.

    ``out_dir`` must be new or empty unless ``overwrite``; then adsim's files there are
    replaced and nothing else is touched. Everything is written to a temporary folder
    first: a new ``out_dir`` appears whole, an existing one gets its files one by one with
    the manifest last. Raises ``FileExistsError`` if ``out_dir`` is a file or, without
    ``overwrite``, a non-empty folder.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a directory")
    if out.is_dir() and not overwrite and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty (pass overwrite=True to replace files)")
    out.parent.mkdir(parents=True, exist_ok=True)
    # mkdir, not mkdtemp: the folder gets the user's normal permissions (umask), not 0700.
    tmp = out.parent / f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.partial"
    tmp.mkdir()
    try:
        (tmp / "summary.csv").write_text(result.summary_csv())
        result.timeseries().to_parquet(tmp / "timeseries.parquet", index=False)
        result.hourly().to_parquet(tmp / "hourly.parquet", index=False)
        for_output(result.events()).to_csv(tmp / "events.csv", index=False)
        breakdowns = result.breakdowns().reset_index()
        order = [
            "dimension",
            "strategy",
            *[c for c in breakdowns if c not in ("dimension", "strategy")],
        ]
        for_output(breakdowns[order]).to_csv(tmp / "breakdown.csv", index=False)
        result.cpi_win_matrix().to_csv(
            tmp / "win_matrix.csv", index_label="strategy", float_format="%.4g"
        )
        result.audience_overlap().to_csv(
            tmp / "audience_overlap.csv", index_label="strategy", float_format="%.4g"
        )
        for_output(result.posts()).to_csv(tmp / "posts.csv", index=False)
        for_output(result.install_sources()).to_csv(tmp / "install_sources.csv")
        for_output(result.followers()).to_csv(tmp / "followers.csv", index=False)
        scenario = result.scenario.model_dump(mode="json", by_alias=True)
        (tmp / "scenario.json").write_text(json.dumps(scenario, indent=2) + "\n")
        manifest = result.manifest(command)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if out.exists():
            for name in OUTPUT_FILES:
                os.replace(tmp / name, out / name)
            tmp.rmdir()
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def for_output(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` at the precision files show: counts of real people and events (means over
    replicates) as whole numbers, money in cents, other values to 6 significant digits.
    Empty values (a CPI without installs) stay empty."""
    frame = frame.copy()
    for col in frame.columns:
        base = col.removesuffix("_lo").removesuffix("_hi")
        if base in COUNT_COLUMNS:
            frame[col] = frame[col].round().astype("Int64")
        elif base.endswith("_usd"):
            frame[col] = frame[col].round(2)
        elif frame[col].dtype.kind == "f":
            frame[col] = _significant(frame[col].to_numpy(), 6)
    return frame


def _significant(values: np.ndarray, digits: int) -> np.ndarray:
    """``values`` rounded to ``digits`` significant digits (zeros and NaN unchanged)."""
    out = values.astype(np.float64).copy()
    ok = np.isfinite(out) & (out != 0)
    magnitude = np.floor(np.log10(np.abs(out[ok])))
    factor = 10.0 ** (digits - 1 - magnitude)
    out[ok] = np.round(out[ok] * factor) / factor
    return out


def export_past_report(
    run_dir: str | Path,
    out: str | Path,
    replicate: int = 0,
    start_date: datetime.date | None = None,
    breakdown: str | None = None,
) -> Path:
    """Write replicate ``replicate`` of a saved run (an ``--out`` folder) as a past
    campaign's report (docs/past_report.md): one row per day x strategy with spend,
    impressions, clicks and attributed installs, plus the truth no real report has,
    ``incremental_installs_true``. Days are numbers from 0, or dates from ``start_date``.
    A known-truth dataset for testing an attribution or calibration method; it reads back
    with :func:`adsim.scenario.past_report.read_past_report`.

    With ``breakdown`` (age, gender, region or device) each row is split into the groups of
    that dimension. A run keeps its breakdowns as totals (breakdown.csv, replicate means), so
    each day's figures are split by the groups' shares over the run (installs by the installs
    share, spend by the spend share, impressions and clicks by the impressions share; whole
    numbers that add up to the day's): the report's totals per group are the run's."""
    import pandas as pd

    mine = _replicate_series(run_dir, replicate)
    table = pd.DataFrame(
        {
            "date": _dates(mine["day"], start_date),
            "ad_set": mine["strategy"].to_numpy(),
            "spend_usd": mine["spend_usd"].round(2).to_numpy(),
            "impressions": mine["impressions"].to_numpy(),
            "clicks": mine["clicks"].to_numpy(),
            "installs": mine["installs"].to_numpy(),
            "incremental_installs_true": mine["incremental_installs"].to_numpy(),
        }
    )
    if breakdown is not None:
        table = _split_by_group(table, Path(run_dir), breakdown)
    return _write_csv(table, out)


def _split_by_group(table: pd.DataFrame, run_dir: Path, dimension: str) -> pd.DataFrame:
    """Each row of ``table`` split into ``dimension``'s groups (see export_past_report)."""
    import pandas as pd

    from .breakdown import DIMENSIONS

    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown breakdown {dimension!r}; choose from {', '.join(DIMENSIONS)}")
    groups = pd.read_csv(run_dir / "breakdown.csv")
    groups = groups[groups["dimension"] == dimension]
    share_of = {
        "installs": "installs", "incremental_installs_true": "installs",
        "spend_usd": "spend_usd", "impressions": "impressions", "clicks": "impressions",
    }  # fmt: skip
    rows = []
    for _, row in table.iterrows():
        mine = groups[groups["strategy"] == row["ad_set"]]
        labels = mine["group"].astype(str).tolist()
        split = {}
        for column, basis in share_of.items():
            weights = mine[basis].to_numpy(dtype=float)
            shares = (
                weights / weights.sum()
                if weights.sum() > 0
                else np.full(len(labels), 1 / len(labels))
            )
            if column == "spend_usd":
                split[column] = _whole_parts(round(row[column] * 100), shares) / 100
            else:
                split[column] = _whole_parts(int(row[column]), shares)
        for g, label in enumerate(labels):
            rows.append({"date": row["date"], "ad_set": row["ad_set"], dimension: label,
                         **{c: split[c][g] for c in share_of}})  # fmt: skip
    columns = ["date", "ad_set", dimension, "spend_usd", "impressions", "clicks", "installs",
               "incremental_installs_true"]  # fmt: skip
    return pd.DataFrame(rows)[columns]


def _whole_parts(total: int, shares: np.ndarray) -> np.ndarray:
    """``total`` split into whole numbers in proportion to ``shares`` that add up to it
    (largest remainders; a negative total, an incremental count, is split by its size)."""
    sign, size = (-1, -total) if total < 0 else (1, total)
    exact = size * shares
    parts = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - parts), kind="stable")
    parts[order[: size - int(parts.sum())]] += 1
    return sign * parts


def export_mmm_table(
    run_dir: str | Path,
    out: str | Path,
    replicate: int = 0,
    start_date: datetime.date | None = None,
) -> Path:
    """Write replicate ``replicate`` of a saved run as the daily table marketing-mix models
    read (Robyn, Meridian): one row per day with the KPI ``installs`` (every install, paid
    and organic), each strategy's ``<name>_spend_usd`` and ``<name>_impressions``, and the
    truth beside them: ``<name>_incremental_installs_true`` and ``baseline_installs_true``.

    In a shared market every strategy ran in one world, so the KPI is that world's installs.
    With isolated strategies each ran alone: the KPI is the organic baseline plus every
    strategy's incremental installs, as if their effects added up (they do not compete)."""
    import json

    import pandas as pd

    run_dir = Path(run_dir)
    mine = _replicate_series(run_dir, replicate)
    scenario = json.loads((run_dir / "scenario.json").read_text())
    wide = mine.pivot(index="day", columns="strategy")
    names = list(dict.fromkeys(mine["strategy"]))
    first = names[0]
    if scenario.get("market_mode") == "shared":
        kpi = wide["installs_world"][first]
        baseline = kpi - wide["incremental_installs"].sum(axis=1)  # not observed in one world
    else:
        baseline = wide["installs_without"][first]
        kpi = baseline + wide["incremental_installs"].sum(axis=1)
    table = pd.DataFrame({"date": _dates(wide.index, start_date), "installs": kpi.to_numpy()})
    for name in names:
        table[f"{name}_spend_usd"] = wide["spend_usd"][name].round(2).to_numpy()
        table[f"{name}_impressions"] = wide["impressions"][name].to_numpy()
    for name in names:
        table[f"{name}_incremental_installs_true"] = wide["incremental_installs"][name].to_numpy()
    table["baseline_installs_true"] = baseline.to_numpy()
    return _write_csv(table, out)


def _dates(days, start_date: datetime.date | None) -> list:
    """Day numbers as they are, or as dates from ``start_date``."""
    days = [int(d) for d in days]
    return days if start_date is None else [start_date + datetime.timedelta(d) for d in days]


def _replicate_series(run_dir: str | Path, replicate: int) -> pd.DataFrame:
    """The saved run's daily series of one replicate."""
    import pandas as pd

    series = pd.read_parquet(Path(run_dir) / "timeseries.parquet")
    replicates = sorted(series["replicate"].unique().tolist())
    if replicate not in replicates:
        raise ValueError(f"replicate {replicate} is not in the run (it has {len(replicates)})")
    return series[series["replicate"] == replicate]


def _write_csv(table: pd.DataFrame, out: str | Path) -> Path:
    """``table`` to ``out`` as CSV, whole or not at all (a temporary file renamed)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.{os.getpid()}.partial"
    try:
        table.to_csv(tmp, index=False)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
