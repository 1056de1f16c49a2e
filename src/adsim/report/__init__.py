"""Showing results: rich tables in the terminal (``tables``), and a one-file HTML report with
matplotlib plots (``html``, ``plots``; matplotlib loads only when a report is made)."""

from __future__ import annotations

from .html import ReportData, write_report
from .tables import (
    TABLE_COLUMNS,
    audience_table,
    audience_time_table,
    breakdown_table,
    result_tables,
)

__all__ = [
    "TABLE_COLUMNS",
    "ReportData",
    "audience_table",
    "audience_time_table",
    "breakdown_table",
    "result_tables",
    "write_report",
]
