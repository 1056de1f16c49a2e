"""The simpy engine, its pacing controller, world layout and columnar recorder."""

from .records import FeedRecord, RunRecord
from .sim import Engine

__all__ = ["Engine", "FeedRecord", "RunRecord"]
