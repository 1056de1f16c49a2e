"""Lift tests: what a holdout experiment measured about a campaign, read with its report.

A conversion-lift study (Meta's, Google's, or a geo experiment) holds some people or places out
of a campaign and reports the installs the campaign caused in a period, with an interval. One
row per test: the ad set, the first and last day (dates, or day numbers like the report's),
the incremental installs and the interval's low and high ends. Robyn and Meridian use such
results to pin down the baseline a regression cannot tell from the ads; adsim's calibration
uses them the same way (experiments.calibrate): the organic baseline and in-market intent
decide how many of the attributed installs were incremental.

Like the report, the file is user input: read here, checked row by row, and the first problem
is named with its row and column.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from .errors import did_you_mean
from .past_report import (
    PastReport,
    header_map,
    parse_day,
    parse_number,
    read_table,
    report_problem,
)

__all__ = ["LIFT_HEADERS", "LiftTest", "read_lift_tests"]

LIFT_HEADERS: dict[str, tuple[str, ...]] = {
    "ad_set": ("ad_set", "ad set name", "ad set", "campaign", "strategy"),
    "first_day": ("first_day", "start", "start date", "first date"),
    "last_day": ("last_day", "end", "end date", "last date"),
    "incremental_installs": (
        "incremental_installs",
        "incremental installs",
        "lift",
        "incremental conversions",
    ),
    "lo": ("lo", "low", "lower", "ci_low", "incremental_installs_lo"),
    "hi": ("hi", "high", "upper", "ci_high", "incremental_installs_hi"),
}


@dataclass(frozen=True)
class LiftTest:
    """Installs ``strategy`` caused over the report's days ``first_day..last_day``
    (inclusive), with the interval ``lo..hi`` (read as a 90% interval)."""

    strategy: str
    first_day: int
    last_day: int
    incremental_installs: float
    lo: float
    hi: float

    @property
    def window(self) -> tuple[int, int]:
        return self.first_day, self.last_day


def read_lift_tests(path: str | Path, report: PastReport) -> list[LiftTest]:
    """Read and check the lift tests at ``path`` (CSV or Parquet) of ``report``'s ad sets
    and days. Raises ScenarioError naming the row and column of the first problem."""
    path = Path(path)
    table = read_table(path)
    if table.empty:
        raise report_problem(path, "<file>", "no rows: the file holds no lift test")
    columns, _ = header_map(path, list(table.columns), LIFT_HEADERS, tuple(LIFT_HEADERS))
    tests: list[LiftTest] = []
    seen: set[tuple[str, int, int]] = set()
    for k, raw in enumerate(table.itertuples(index=False, name=None)):
        row = 2 + k
        cell = dict(zip(table.columns, raw, strict=True))

        def where(name: str, row: int = row) -> str:
            return f"row {row}, column {columns[name]!r}"

        ad_set = str(cell[columns["ad_set"]]).strip()
        if ad_set not in report.strategies:
            hint = did_you_mean(ad_set, set(report.strategies))
            raise report_problem(path, where("ad_set"), f"{ad_set!r} is not an ad set of the report"
                           f"{hint}")  # fmt: skip
        days = []
        for name in ("first_day", "last_day"):
            value = parse_day(str(cell[columns[name]]))
            if isinstance(value, datetime.date):
                if report.start_date is None:
                    message = "a date, but the report numbers its days"
                    raise report_problem(path, where(name), message)
                value = (value - report.start_date).days
            if value is None or not 0 <= value < report.days:
                raise report_problem(path, where(name), f"not a day of the report (its days are 0-"
                               f"{report.days - 1}, or their dates)")  # fmt: skip
            days.append(value)
        if days[1] < days[0]:
            raise report_problem(path, where("last_day"), "before first_day")
        numbers = {}
        for name in ("incremental_installs", "lo", "hi"):
            value = parse_number(str(cell[columns[name]]))
            if value is None:
                raise report_problem(path, where(name), "not a number")
            numbers[name] = value
        if not numbers["lo"] < numbers["hi"]:
            message = "the interval's high end must exceed its low end"
            raise report_problem(path, where("hi"), message)
        if not numbers["lo"] <= numbers["incremental_installs"] <= numbers["hi"]:
            raise report_problem(path, where("incremental_installs"), "outside its own interval")
        key = (ad_set, days[0], days[1])
        if key in seen:
            raise report_problem(path, f"row {row}", "the same ad set and days as an earlier row")
        seen.add(key)
        tests.append(LiftTest(ad_set, days[0], days[1], **numbers))
    return tests
