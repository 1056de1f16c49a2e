"""A sweep's result store: one Parquet file per finished (point, replicate), and a manifest.

Each task's rows are written to a temporary file and renamed into place (``os.replace`` is
atomic on one file system): a file under ``runs/`` is always whole, so a sweep killed at any
moment loses no finished task, and re-running the same sweep skips the tasks whose file exists
(none is run or written twice). The manifest holds the sweep's *fingerprint* (a hash of the
base scenario, the points, the replicates and the seed): a folder holding another sweep is
refused instead of being mixed with it. A run file that is not whole after all (a disk filled
up, a copy cut short, an edit by hand) is not counted as finished: it is removed and the task
runs again. The tables derived from the runs are removed when a sweep starts or resumes and
written again when it finishes, so a folder never shows one sweep's runs beside another's
tables.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SweepStore", "SweepStoreError", "fingerprint"]

RUN_FILE = "p{point:05d}-r{replicate:04d}.parquet"
_RUN_NAME = re.compile(r"^p(\d{5})-r(\d{4})\.parquet$")
# Everything a sweep writes beside runs/: what --force clears and a new start rewrites.
TABLES = (
    "points.csv", "rows.parquet", "summary.csv", "winners.csv", "robustness.csv",
    "budget_curves.csv", "allocation.csv", "allocation_outcomes.csv",
)  # fmt: skip


class SweepStoreError(ValueError):
    """The folder cannot hold this sweep (another sweep's results, or not adsim's)."""


def fingerprint(identity: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of what decides a sweep's rows."""
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


class SweepStore:
    """The folder ``root``: ``manifest.json``, ``points.csv`` and ``runs/*.parquet``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs = self.root / "runs"
        self.damaged: list[str] = []  # run files found broken by open() (run again)

    def open(self, identity: dict[str, Any], manifest: dict[str, Any], force: bool = False) -> int:
        """Start or resume the sweep ``identity``; returns the number of finished tasks found.
        ``force`` discards another sweep's results in the folder instead of refusing."""
        fp = fingerprint(identity)
        path = self.root / "manifest.json"
        if path.exists():
            try:
                old = json.loads(path.read_text())
            except (OSError, ValueError):
                old = {}
            if old.get("fingerprint") != fp:
                if not force:
                    raise SweepStoreError(
                        f"{self.root} holds another sweep ({old.get('sweep', 'unknown')}); "
                        "choose a new folder, or --force to discard its results"
                    )
                self._clear()
        elif self.root.exists() and any(self.root.iterdir()):
            if not force:
                raise SweepStoreError(
                    f"{self.root} is not empty and holds no sweep; choose a new folder, or "
                    "--force to replace adsim's files in it"
                )
            self._clear()
        self.runs.mkdir(parents=True, exist_ok=True)
        for stale in self.runs.glob(".*.partial"):  # a write cut off by a kill
            stale.unlink(missing_ok=True)
        self.damaged = self._drop_damaged()
        for name in TABLES:  # derived from the runs: written again when the sweep finishes
            (self.root / name).unlink(missing_ok=True)
        found = len(self.finished())
        started = json.loads(path.read_text()).get("started_utc") if found else None
        self._write_json(
            "manifest.json",
            {**manifest, "fingerprint": fp, "started_utc": started or _now(), "finished_utc": None},
        )
        return found

    def _clear(self) -> None:
        shutil.rmtree(self.runs, ignore_errors=True)
        for name in ("manifest.json", *TABLES):
            (self.root / name).unlink(missing_ok=True)

    def _drop_damaged(self) -> list[str]:
        """Remove run files that cannot be read whole (their Parquet footer is missing or
        wrong, or they hold no rows); their tasks count as not run. Reads footers only."""
        import pyarrow.parquet as pq

        damaged = []
        for f in sorted(self.runs.glob("*.parquet")):
            try:
                whole = _RUN_NAME.match(f.name) is not None and pq.read_metadata(f).num_rows > 0
            except (OSError, ValueError):  # pyarrow's ArrowInvalid is a ValueError
                whole = False
            if not whole:
                damaged.append(f.name)
                f.unlink(missing_ok=True)
        return damaged

    def _write_json(self, name: str, data: dict) -> None:
        tmp = self.root / f".{name}.partial"
        tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
        os.replace(tmp, self.root / name)

    def finished(self) -> set[tuple[int, int]]:
        """(point, replicate) of every task whose rows are stored."""
        done = set()
        for f in self.runs.glob("p*-r*.parquet"):
            if m := _RUN_NAME.match(f.name):
                done.add((int(m[1]), int(m[2])))
        return done

    def write(self, point: int, replicate: int, rows: pd.DataFrame) -> None:
        """Store one task's rows, atomically."""
        name = RUN_FILE.format(point=point, replicate=replicate)
        tmp = self.runs / f".{name}.{os.getpid()}.partial"
        rows.to_parquet(tmp, index=False)
        os.replace(tmp, self.runs / name)

    def read_rows(self) -> pd.DataFrame:
        """Every stored row, in (point, replicate) order."""
        import pandas as pd

        files = sorted(f for f in self.runs.glob("p*-r*.parquet") if _RUN_NAME.match(f.name))
        if not files:
            return pd.DataFrame()
        frames = []
        for f in files:
            try:
                frames.append(pd.read_parquet(f))
            except (OSError, ValueError) as exc:  # changed after open() checked it
                raise SweepStoreError(
                    f"{f}: cannot be read ({type(exc).__name__}); delete it and run the same "
                    "command again to rerun that task"
                ) from None
        return pd.concat(frames, ignore_index=True)

    def write_tables(self, files: dict[str, pd.DataFrame]) -> None:
        """Write tables into the folder (CSV, or Parquet by suffix), each atomically."""
        for name, frame in files.items():
            tmp = self.root / f".{name}.partial"
            if name.endswith(".parquet"):
                frame.to_parquet(tmp, index=False)
            else:
                frame.to_csv(tmp, index=False)
            os.replace(tmp, self.root / name)

    def finish(self, files: dict[str, pd.DataFrame]) -> None:
        """Write the sweep's tables and mark the manifest finished."""
        self.write_tables(files)
        manifest = json.loads((self.root / "manifest.json").read_text())
        manifest["finished_utc"] = _now()
        self._write_json("manifest.json", manifest)
