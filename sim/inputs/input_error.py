"""The one error type of every input file (scenario, sweep, standards, calibration): file, key, message."""

from __future__ import annotations

import re
from pathlib import Path

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


#: Longest file name shown whole in a message; a longer one is shortened in the middle.
SHOWN_PATH_CHARACTERS = 300


def shown(text: str) -> str:
    """`text` printable on one line: control characters (a newline, a NUL) written as escapes."""
    return _CONTROL.sub(lambda match: ascii(match.group())[1:-1], text)


def shown_path(path: str) -> str:
    """A path for a message: escaped as `shown`, and shortened in the middle if very long."""
    if len(path) > SHOWN_PATH_CHARACTERS:
        path = f"{path[:200]}...({len(path):,} characters)...{path[-60:]}"
    return shown(path)


class ScenarioError(Exception):
    """An input file cannot be used; the message names the file, the key and what is allowed."""

    def __init__(self, file: Path | str, key: str | None, message: str) -> None:
        self.file, self.key, self.message = str(file), key, message
        place = shown_path(str(file))
        super().__init__(f"{place}: {shown(key)}: {shown(message)}" if key else f"{place}: {shown(message)}")
