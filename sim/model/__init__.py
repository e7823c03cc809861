"""The model: parameters, children, resources, stages, the calendar and records.

No files, charts or command line here: the model takes parameters and returns tables.
"""
