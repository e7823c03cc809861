"""Experiments: replications, comparisons, sweeps, sizing, and where they run (processes, Dask)."""
