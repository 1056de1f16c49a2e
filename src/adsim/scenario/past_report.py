"""A past campaign's report: the ad platform's export of what a campaign did, day by day.

One row per day x ad set (and, optionally, per breakdown group: age, gender, region, device),
with spend, impressions, clicks and installs (reach optional). adsim's own column names are
accepted, and so are the headers of Meta's and X's exports (see ``HEADERS`` and
docs/past_report.md). Each ad set is a strategy of the scenario, by name.

A report is user input like a scenario: it is read here, checked row by row, and the first
problem is reported with its row (the file's line) and column; nothing downstream sees an
unchecked value.
"""

from __future__ import annotations

import datetime
import math
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import did_you_mean
from .load import ScenarioError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["HEADERS", "METRICS", "PastReport", "read_past_report"]

# Canonical column -> accepted headers (compared lower-case, spaces collapsed): adsim's own
# name first, then Meta Ads Manager's and X Ads' exports.
HEADERS: dict[str, tuple[str, ...]] = {
    "date": ("date", "day", "reporting starts", "time period", "date start"),
    "ad_set": ("ad_set", "ad set name", "ad set", "ad group name", "ad group", "strategy"),
    "spend_usd": ("spend_usd", "amount spent (usd)", "amount spent", "spend", "cost"),
    "impressions": ("impressions",),
    "reach": ("reach",),
    "clicks": ("clicks", "link clicks", "clicks (all)", "app clicks"),
    "installs": ("installs", "app installs", "mobile app installs", "app install"),
    "age": ("age",),
    "gender": ("gender",),
    "region": ("region",),
    "device": ("device", "impression device", "device platform"),
}
REQUIRED = ("date", "ad_set", "spend_usd", "impressions", "clicks", "installs")
METRICS = ("spend_usd", "impressions", "reach", "clicks", "installs")
BREAKDOWNS = ("age", "gender", "region", "device")
MAX_REPORT_BYTES = 256 * 2**20  # a year of daily rows for hundreds of ad sets and groups


@dataclass(frozen=True)
class PastReport:
    """A checked report: ``rows`` has one row per day x ad set (x breakdown groups) with
    ``day`` (0 = the first date), ``date`` (or None where the report gave day numbers),
    ``strategy``, the breakdown columns present and ``METRICS`` (reach NaN if absent)."""

    path: str
    rows: pd.DataFrame
    start_date: datetime.date | None
    breakdowns: tuple[str, ...]
    strategies: tuple[str, ...]  # the ad sets present, in the scenario's order
    ignored_columns: tuple[str, ...] = ()  # the file's columns adsim does not read

    @property
    def days(self) -> int:
        return int(self.rows["day"].max()) + 1 if len(self.rows) else 0

    def until(self, days: int) -> PastReport:
        """The report's first ``days`` days (a back-test's training part)."""
        from dataclasses import replace

        rows = self.rows[self.rows["day"] < days].reset_index(drop=True)
        used = set(rows["strategy"])
        return replace(self, rows=rows, strategies=tuple(s for s in self.strategies if s in used))

    def daily(self) -> pd.DataFrame:
        """One row per day and ad set (breakdown groups added up): ``METRICS``."""
        return self.rows.groupby(["day", "strategy"])[list(METRICS)].sum(min_count=1)

    def totals(self) -> pd.DataFrame:
        """Per ad set (strategy): the report's totals and its CPI."""
        t = self.rows.groupby("strategy")[list(METRICS)].sum(min_count=1)
        t = t.loc[list(self.strategies)]
        t["cpi_usd"] = t["spend_usd"] / t["installs"].where(t["installs"] > 0)
        return t


def report_problem(path: Path, where: str, message: str) -> ScenarioError:
    return ScenarioError(str(path), [(where, message)])


def header_map(
    path: Path,
    headers: list[str],
    table: dict[str, tuple[str, ...]] = HEADERS,
    required: tuple[str, ...] = REQUIRED,
) -> tuple[dict[str, str], list[str]]:
    """Canonical column -> the file's header (by ``table``'s accepted headers), and the
    headers it does not use (exports carry many: results, frequency, cost per result);
    refuses missing ``required`` and doubled columns."""
    found: dict[str, str] = {}
    ignored: list[str] = []
    accepted = {alias: name for name, aliases in table.items() for alias in aliases}
    for header in headers:
        key = " ".join(str(header).lower().split())
        name = accepted.get(key)
        if name is None:
            ignored.append(str(header))
            continue
        if name in found:
            raise report_problem(
                path, f"column {header!r}", f"a second column for {name} (first: {found[name]!r})"
            )
        found[name] = header
    missing = [name for name in required if name not in found]
    if missing:
        hint = did_you_mean(missing[0], ignored) if ignored else ""
        raise report_problem(
            path,
            "<columns>",
            f"missing column(s): {', '.join(missing)}{hint} (accepted headers: "
            "docs/past_report.md)",
        )
    return found, ignored


def read_table(path: Path) -> pd.DataFrame:
    import pandas as pd

    where = f"cannot read report {str(path)!r}"
    try:
        info = path.stat()
    except OSError as exc:
        raise report_problem(path, "<file>", f"{where}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise report_problem(path, "<file>", f"{where}: it is not a file")
    if info.st_size > MAX_REPORT_BYTES:
        raise report_problem(path, "<file>", f"larger than {MAX_REPORT_BYTES // 2**20} MiB")
    try:
        if path.suffix.lower() == ".parquet":
            table = pd.read_parquet(path)
            return table.astype(object).where(table.notna(), None).astype(str)
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise report_problem(path, "<file>", "not UTF-8 text") from None
    except (ValueError, OSError) as exc:  # pandas' ParserError and pyarrow's are ValueErrors
        kind = "Parquet" if path.suffix.lower() == ".parquet" else "CSV"
        raise report_problem(path, "<file>", f"not a {kind} table ({type(exc).__name__})") from None


def parse_number(text: str) -> float | None:
    """A report's number: thousands separators and a leading $ allowed; None if not one."""
    cleaned = text.strip().replace(",", "").removeprefix("$").strip()
    if cleaned in ("", "-"):
        return 0.0  # exports leave empty cells where nothing happened
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_day(text: str) -> int | datetime.date | None:
    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        return None


def read_past_report(path: str | Path, strategies: list[str] | tuple[str, ...]) -> PastReport:
    """Read and check the report at ``path`` (CSV, or Parquet by suffix) whose ad sets are
    the scenario's ``strategies``. Raises ScenarioError naming the row and column of the
    first problem."""
    import numpy as np
    import pandas as pd

    path = Path(path)
    table = read_table(path)
    if table.empty:
        raise report_problem(path, "<file>", "no rows: the report is empty")
    columns, ignored = header_map(path, list(table.columns))
    names = list(strategies)
    records: list[dict[str, Any]] = []
    seen: dict[tuple, int] = {}
    kinds: set[type] = set()
    for k, raw in enumerate(table.itertuples(index=False, name=None)):
        row = 2 + k  # the file's line: the header is line 1
        cell = dict(zip(table.columns, raw, strict=True))

        def where(name: str, row: int = row) -> str:
            return f"row {row}, column {columns[name]!r}"

        rec: dict[str, Any] = {}
        day = parse_day(str(cell[columns["date"]]))
        if day is None:
            text = str(cell[columns["date"]])[:40]
            raise report_problem(path, where("date"), f"{text!r} is not a date (YYYY-MM-DD) or day")
        kinds.add(type(day))
        rec["when"] = day
        ad_set = str(cell[columns["ad_set"]]).strip()
        if ad_set not in names:
            hint = did_you_mean(ad_set, names)
            raise report_problem(
                path,
                where("ad_set"),
                f"ad set {ad_set[:60]!r} is not a strategy of the scenario{hint} "
                f"(strategies: {', '.join(names)})",
            )
        rec["strategy"] = ad_set
        for name in BREAKDOWNS:
            if name in columns:
                rec[name] = str(cell[columns[name]]).strip()
        for name in METRICS:
            if name not in columns:
                rec[name] = np.nan
                continue
            text = str(cell[columns[name]])
            value = parse_number(text)
            if value is None:
                raise report_problem(path, where(name), f"{text[:40]!r} is not a number")
            if value < 0:
                raise report_problem(path, where(name), f"{value:g} is negative")
            rec[name] = value
        # Same-day counts only: a day's installs may come from earlier days' clicks.
        for small, big in (("clicks", "impressions"), ("reach", "impressions")):
            if rec[small] > rec[big]:
                raise report_problem(
                    path,
                    where(small),
                    f"{small} ({rec[small]:g}) exceed {big} ({rec[big]:g}) on this row",
                )
        key = (rec["when"], ad_set, *(rec.get(b) for b in BREAKDOWNS))
        if key in seen:
            message = f"the same day and ad set as row {seen[key]}"
            raise report_problem(path, where("ad_set"), message)
        seen[key] = row
        records.append(rec)
    installs: dict[str, float] = {}
    clicks: dict[str, float] = {}
    for rec in records:
        installs[rec["strategy"]] = installs.get(rec["strategy"], 0.0) + rec["installs"]
        clicks[rec["strategy"]] = clicks.get(rec["strategy"], 0.0) + rec["clicks"]
    for name, total in installs.items():
        if total > clicks[name]:
            raise report_problem(
                path,
                f"column {columns['installs']!r}",
                f"ad set {name!r} has more installs ({total:g}) than clicks ({clicks[name]:g}) "
                "over the report: a wrong column or ad set? (a day may show more installs "
                "than clicks, the whole flight should not)",
            )
    if len(kinds) > 1:
        raise report_problem(path, f"column {columns['date']!r}", "mixes dates and day numbers")
    frame = pd.DataFrame.from_records(records)
    start: datetime.date | None = None
    if kinds == {int}:
        frame["day"] = frame["when"].astype(np.int64) - int(frame["when"].min())
        frame["date"] = None
    else:
        start = min(frame["when"])
        frame["day"] = [(d - start).days for d in frame["when"]]
        frame["date"] = frame["when"]
    present = tuple(b for b in BREAKDOWNS if b in columns)
    order = ["day", "date", "strategy", *present, *METRICS]
    frame = frame[order].sort_values(["day", "strategy", *present], kind="stable")
    used = set(frame["strategy"])
    return PastReport(
        str(path), frame.reset_index(drop=True), start, present,
        tuple(n for n in names if n in used), tuple(ignored),
    )  # fmt: skip
