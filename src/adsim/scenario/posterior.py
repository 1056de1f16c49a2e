"""Scenario schema: draws from a calibration's posterior, which runs use one per replicate.

``adsim calibrate`` writes them into calibrated.yaml: the unknowns it inferred (scenario paths)
and the draws it kept. Replicate r of a run uses draw r mod K (K draws), so a run's ranges
carry the uncertainty of what was learned from the past, not just the simulation's noise.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from .common import Model

__all__ = ["Posterior"]


class Posterior(Model):
    """Posterior draws of some of the scenario's values (from ``adsim calibrate``)."""

    parameters: list[str] = Field(min_length=1, max_length=50)
    """Scenario paths the draws set, as sweeps and calibration name them."""
    draws: list[list[float | int]] = Field(min_length=1, max_length=10_000)
    """One list of values per draw, in the order of ``parameters``; replicate r uses draw
    r mod (number of draws)."""

    @model_validator(mode="after")
    def _shape(self) -> Posterior:
        for k, draw in enumerate(self.draws):
            if len(draw) != len(self.parameters):
                raise ValueError(
                    f"posterior.draws.{k}: {len(draw)} value(s) for {len(self.parameters)} "
                    "parameter(s)"
                )
        return self

    def changes(self, replicate: int) -> dict[str, float | int]:
        """The values replicate ``replicate`` uses."""
        draw = self.draws[replicate % len(self.draws)]
        return dict(zip(self.parameters, draw, strict=True))
