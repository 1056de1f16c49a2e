"""The simpy engine, its pacing controller, world layout and columnar recorder."""

from .sim import Engine, RunRecord

__all__ = ["Engine", "RunRecord"]
