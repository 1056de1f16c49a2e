"""The synthetic population as a struct of arrays, and how it is built."""

from .build import Population, build_population

__all__ = ["Population", "build_population"]
