"""The one error type of every input file (scenario, sweep, standards, calibration): file, key, message."""

from __future__ import annotations

from pathlib import Path


class ScenarioError(Exception):
    """An input file cannot be used; the message names the file, the key and what is allowed."""

    def __init__(self, file: Path | str, key: str | None, message: str) -> None:
        self.file, self.key, self.message = str(file), key, message
        super().__init__(f"{file}: {key}: {message}" if key else f"{file}: {message}")
