"""Pure numba kernels: arrays in, arrays out (no pydantic, pandas or simpy inside)."""
