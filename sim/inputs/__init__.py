"""Inputs: scenario and standards files, read and checked."""
