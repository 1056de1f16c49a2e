"""Shared building blocks of the scenario schema."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "OS_NAMES",
    "AgeBandMult",
    "AgeBandShare",
    "Gender",
    "HourlyMult",
    "Label",
    "Model",
    "Mult",
    "NonNeg",
    "Os",
    "Positive",
    "Probability",
    "Sigma",
    "Usd",
    "check_shares",
    "check_unique",
]

OS_NAMES: tuple[str, ...] = ("ios", "android", "other")
GENDERS: tuple[str, ...] = ("female", "male", "unknown")

Os = Literal["ios", "android", "other"]
Gender = Literal["female", "male", "unknown"]
Positive = Annotated[float, Field(gt=0)]
NonNeg = Annotated[float, Field(ge=0)]
Probability = Annotated[float, Field(ge=0, le=1)]
# Explicit maxima: far beyond any real campaign, and low enough that no product or sum of
# them in the engine can overflow a float64 or lose a cent.
MAX_MULT = 1000.0
MAX_SIGMA = 5.0
MAX_USD = 1e9
Mult = Annotated[float, Field(ge=0, le=MAX_MULT, description="A multiplier (0 to 1,000).")]
Sigma = Annotated[float, Field(ge=0, le=MAX_SIGMA, description="A lognormal sigma (0 to 5).")]
Usd = Annotated[float, Field(gt=0, le=MAX_USD, description="US dollars (up to 1e9).")]
# A multiplier for each local hour 0..23.
HourlyMult = Annotated[list[Mult], Field(min_length=24, max_length=24)]

# A name a planner writes (scenario, region, app): it lands in every output row and title,
# so it is kept to one printable line of reasonable length.
MAX_LABEL = 100
LABEL_PATTERN = r"^[^\x00-\x1f\x7f]+$"
Label = Annotated[str, Field(min_length=1, max_length=MAX_LABEL, pattern=LABEL_PATTERN)]
MAX_DESCRIPTION = 5_000

SHARE_TOLERANCE = 0.01


class Model(BaseModel):
    """Base of every scenario model: unknown keys are errors, values are immutable, numbers
    are finite and of their own type (no `true` for 1, no "400" for 400)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        allow_inf_nan=False,
        use_attribute_docstrings=True,  # a docstring under a field is its description
    )


def check_shares(shares: dict[str, float] | list[float], what: str) -> None:
    """Shares must be non-negative and sum to 1 (within 1%): a typo should not pass silently."""
    values = list(shares.values()) if isinstance(shares, dict) else list(shares)
    if any(v < 0 for v in values):
        raise ValueError(f"{what} must be non-negative")
    total = math.fsum(values)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"{what} must sum to 1 (got {total:.4g})")


def check_unique(values: list[str], what: str) -> None:
    """Names that identify something must not repeat: the second would silently win."""
    if len(set(values)) != len(values):
        raise ValueError(f"{what} must be unique")


class AgeRange(Model):
    min: int = Field(ge=13, le=100, description="Youngest age in the band (years).")
    max: int = Field(ge=13, le=100, description="Oldest age in the band (years, inclusive).")

    @model_validator(mode="after")
    def _ordered(self) -> AgeRange:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        return self


class AgeBandShare(AgeRange):
    share: Probability
    """Share of the population in this band (the bands' shares sum to 1)."""


class AgeBandMult(AgeRange):
    mult: Mult = Field(description="Multiplier applied to people in this age band (0 to 1,000).")
