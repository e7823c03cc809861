"""Reading a JSON file Amparo wrote (a manifest) that a user may have edited, moved or replaced.

The file goes through the regular-file guard of `sim.inputs.regular_file`, so a FIFO, a device or a
huge file is refused at once; JSON nested too deeply or holding a number too long to convert is a
reason in words, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sim.inputs.regular_file import UnreadableFile, read_text_file

#: Largest manifest read: the largest Amparo writes (a calibration's) is under 1 MB.
MAX_MANIFEST_BYTES = 16 * 1024 * 1024


def read_json_file(path: Path | str, max_bytes: int = MAX_MANIFEST_BYTES) -> Any:
    """The parsed content of the JSON file at `path`; `UnreadableFile` with the reason otherwise."""
    text, _ = read_text_file(path, max_bytes)
    try:
        return json.loads(text)
    except RecursionError:
        raise UnreadableFile("is nested too deeply to be an Amparo file") from None
    except json.JSONDecodeError as error:
        raise UnreadableFile(f"is not valid JSON ({error})") from None
    except ValueError:  # an integer over Python's limit of 4,300 digits
        raise UnreadableFile("holds a number of more than 4,300 digits, which no Amparo file has") from None
