"""Presentation: charts, the brief, the explorer, the parameter table of the docs."""
