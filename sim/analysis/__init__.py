"""Analysis of a run's tables: outcomes, invariants, summaries. No Mesa."""
