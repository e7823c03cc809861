"""Inputs: scenario and standards files, read and checked, and the guarded readers every input file
and manifest goes through (regular_file, toml_file, json_file)."""
