"""The sweep spec: a base scenario, the parameters to vary, and how to choose the points.

A sweep file (YAML or JSON) is user input like a scenario, so it is parsed here, with the
same friendly errors::

    name: quickstart_budgets
    scenario: ../scenarios/quickstart.yaml   # relative to this file
    replicates: 5
    design: grid                             # grid | points | random | lhs
    parameters:
      budget_scale: [0.25, 0.5, 1, 2, 4]     # every strategy's budgets x value
      platform.market.cpm_median_usd: {low: 8, high: 24, steps: 3}
    allocate: {total_usd: 12000}             # optional: split a budget (needs budget_scale)

Parameters are scenario paths (see :mod:`adsim.scenario.edit`: strategies by name, ``*`` for
all) or ``budget_scale``. A value list is used as given; a range (``low``/``high``) gives
``steps`` evenly spaced values on a grid (geometric with ``log: true``) or is sampled by the
random and Latin-hypercube designs.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Discriminator, Field, PlainValidator, Tag, ValidationError, model_validator

from .common import Label, Model, Positive
from .errors import friendly_problems, yaml_kind

if TYPE_CHECKING:
    import numpy as np
from .load import ScenarioError, _check_shape, read_document

__all__ = ["BUDGET_SCALE", "Allocate", "ParameterRange", "SweepSpec", "load_sweep_spec"]

BUDGET_SCALE = "budget_scale"  # the pseudo-parameter: every strategy's budgets x value
MAX_POINTS = 10_000


def _scalar(value: Any) -> float | int | str | bool:
    """A value a sweep can set: a finite number, text or true/false, as YAML gives it (the
    scenario's own schema then checks it against the field it lands in)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("should be a finite number (not .inf or .nan)")
    if isinstance(value, bool | int | float | str):
        return value
    raise ValueError(f"should be a number, text or true/false, got {yaml_kind(value)}")


_SCALAR = float | int | str | bool
Scalar = Annotated[_SCALAR, PlainValidator(_scalar, json_schema_input_type=_SCALAR)]


class ParameterRange(Model):
    """A numeric range: sampled by the random/lhs designs, or ``steps`` values on a grid."""

    low: float
    """Smallest value."""
    high: float
    """Largest value."""
    log: bool = False
    """Spread values geometrically (both ends must be above 0)."""
    steps: int | None = Field(default=None, ge=2, le=1000)
    """Grid values from low to high (grid design only)."""
    integer: bool = False
    """Round values to whole numbers (counts, days)."""

    @model_validator(mode="after")
    def _order(self) -> ParameterRange:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) is below low ({self.low})")
        if self.log and self.low <= 0:
            raise ValueError("log: true needs low above 0")
        return self

    def grid(self) -> list[float | int]:
        import numpy as np

        if self.steps is None:
            raise ValueError("a range on a grid needs steps: (how many values from low to high)")
        f = np.geomspace if self.log else np.linspace
        values = [float(v) for v in f(self.low, self.high, self.steps)]
        # integer: whole numbers as ints, so they fit integer fields (horizon_days, agents).
        return [round(v) for v in values] if self.integer else values

    def at(self, u: float) -> float | int:
        """The value at quantile ``u`` in [0, 1) of the range (uniform, or log-uniform)."""
        import math

        if self.log:
            v = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            v = self.low + u * (self.high - self.low)
        return round(v) if self.integer else v

    def unit(self, values: np.ndarray) -> np.ndarray:
        """Values as quantiles in [0, 1] of the range: the inverse of :meth:`at`."""
        import numpy as np

        values = np.asarray(values, dtype=float)
        if self.high == self.low:
            return np.zeros_like(values)
        if self.log:
            return (np.log(values) - math.log(self.low)) / (
                math.log(self.high) - math.log(self.low)
            )
        return (values - self.low) / (self.high - self.low)


def _parameter_kind(value: Any) -> str | None:
    if isinstance(value, list):
        return "values"
    if isinstance(value, dict | ParameterRange):
        return "range"
    return None


# Values or a range, told apart by shape, so a wrong value gets one message, not one per
# alternative.
Parameter = Annotated[
    Annotated[list[Scalar], Field(min_length=1, max_length=1000), Tag("values")]
    | Annotated[ParameterRange, Tag("range")],
    Discriminator(
        _parameter_kind,
        custom_error_type="parameter_shape",
        custom_error_message="give a list of values ([1, 2]) or a range ({low: 1, high: 2})",
    ),
]


class Allocate(Model):
    """Split a budget across the strategies to get the most incremental installs."""

    total_usd: Positive | None = None
    """The whole flight's budget to split across the strategies (USD)."""
    extra_usd: Positive | None = None
    """Money to add on top of the scenario's budgets (USD)."""

    @model_validator(mode="after")
    def _one(self) -> Allocate:
        if (self.total_usd is None) == (self.extra_usd is None):
            raise ValueError("give total_usd or extra_usd (one of them)")
        return self


class SweepSpec(Model):
    """What to vary, over which points, with how many replicates."""

    name: Label
    """The sweep's name, shown in outputs."""
    scenario: str = Field(min_length=1)
    """The base scenario file (relative to the sweep file)."""
    seed: int | None = Field(default=None, ge=0)
    """Seed of every point (default: the scenario's). Every point uses the same streams
    (unless common_random_numbers is false): a difference between points is the parameters'
    effect."""
    replicates: int = Field(default=3, ge=1, le=1000)
    """Replicates per point."""
    common_random_numbers: bool = True
    """false: point k runs its own replicates (k x replicates + r), so each point is an
    independent world. A calibration needs this: with shared draws, the one world's luck
    shifts every point alike, and no number of points averages it out."""
    design: Literal["grid", "points", "random", "lhs"] = "grid"
    """grid: every combination of the parameters' values; points: the listed points;
    random / lhs: `samples` points drawn from the ranges (lhs: Latin hypercube)."""
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    """Scenario path (or budget_scale) -> values or a range."""
    points: list[dict[str, Scalar]] = Field(default_factory=list, max_length=MAX_POINTS)
    """The points of the points design: each a mapping of path -> value."""
    samples: int | None = Field(default=None, ge=1, le=MAX_POINTS)
    """Points drawn by the random and lhs designs."""
    allocate: Allocate | None = None
    """Split a budget across strategies from the budget curves (needs budget_scale)."""
    rank_by: Literal["cpi_usd", "icpi_usd"] = "cpi_usd"
    """The cost that decides each point's winner (robustness of the ranking)."""

    @model_validator(mode="after")
    def _design(self) -> SweepSpec:
        if self.design == "points":
            if not self.points:
                raise ValueError("design points: list the points under points:")
            if self.parameters:
                raise ValueError("design points: give points:, not parameters:")
        else:
            if self.points:
                raise ValueError(f"design {self.design}: points: is for design: points")
            if not self.parameters:
                raise ValueError(f"design {self.design}: name at least one parameter")
        if self.design == "grid":
            size = 1
            for path, values in self.parameters.items():
                if isinstance(values, ParameterRange) and values.steps is None:
                    raise ValueError(
                        f"parameters.{path}: a range on a grid needs steps: (or use design "
                        "random or lhs)"
                    )
                size *= len(values) if isinstance(values, list) else values.steps or 1
            if size > MAX_POINTS:
                raise ValueError(f"the grid has {size:,} points; at most {MAX_POINTS:,}")
        if self.design in ("random", "lhs"):
            if self.samples is None:
                raise ValueError(f"design {self.design}: give samples: (how many points)")
            lists = [p for p, v in self.parameters.items() if isinstance(v, list)]
            if self.design == "lhs" and lists:
                raise ValueError(f"design lhs: parameters.{lists[0]}: give a range (low, high)")
        elif self.samples is not None:
            raise ValueError(f"samples: only for design random or lhs, not {self.design}")
        if self.allocate is not None and BUDGET_SCALE not in self.parameters:
            raise ValueError("allocate: needs the budget curves of parameters.budget_scale")
        if BUDGET_SCALE in self.parameters:
            values = self.parameters[BUDGET_SCALE]
            nums = values if isinstance(values, list) else [values.low]
            bad = next((x for x in nums if not _positive_number(x)), None)
            if bad is not None:
                quotes = " (write it without quotes)" if isinstance(bad, str) else ""
                raise ValueError(
                    "parameters.budget_scale: positive numbers (1: as in the scenario), got "
                    f"{yaml_kind(bad)}{quotes}"
                )
        return self


def _positive_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and x > 0


def load_sweep_spec(path: str | Path) -> tuple[SweepSpec, Path]:
    """The validated spec and the base scenario's path (resolved against the spec's folder)."""
    path = Path(path)
    data = read_document(path)
    problem = _check_shape(data)  # the same depth and size limits as a scenario's
    if problem is not None:
        raise ScenarioError(str(path), [problem])
    if not isinstance(data, dict):
        raise ScenarioError(
            str(path), [("", "a sweep is a mapping of keys (name:, scenario:, ...)")]
        )
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(str(path), friendly_problems(exc, data, SweepSpec)) from None
    base = Path(spec.scenario)
    return spec, base if base.is_absolute() else path.parent / base
