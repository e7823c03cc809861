"""The one error type of every input file (scenario, sweep, standards, calibration): file, key, message."""

from __future__ import annotations

import re
from pathlib import Path

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def shown(text: str) -> str:
    """`text` printable on one line: control characters (a newline, a NUL) written as escapes."""
    return _CONTROL.sub(lambda match: ascii(match.group())[1:-1], text)


class ScenarioError(Exception):
    """An input file cannot be used; the message names the file, the key and what is allowed."""

    def __init__(self, file: Path | str, key: str | None, message: str) -> None:
        self.file, self.key, self.message = str(file), key, message
        place = shown(str(file))
        super().__init__(f"{place}: {shown(key)}: {shown(message)}" if key else f"{place}: {shown(message)}")
