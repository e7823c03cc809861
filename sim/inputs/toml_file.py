"""The one TOML reader of the project: every scenario, sweep, standards and calibration file.

Reading is bounded before the parser runs, so no file, however hostile, raises anything but one
`ScenarioError` naming the file, the key (when there is one) and what is allowed:

- the file must be a regular UTF-8 file of at most `MAX_FILE_BYTES`, without NUL (see
  `sim.inputs.regular_file`: FIFOs, devices, folders and symbolic link loops are refused unread);
- arrays, tables and dotted keys may nest at most `MAX_NESTING` deep, checked on the text (the
  standard parser recurses into arrays, so about 1,000 levels overflow Python's stack, and takes
  time quadratic in the parts of a dotted key) and again on the parsed tables;
- a number or bare word has at most `MAX_BARE_CHARACTERS` characters (Python refuses to convert
  integers of more than 4,300 digits, and nothing Amparo reads needs more than 20);
- a key has at most `MAX_KEY_CHARACTERS` characters and a text value at most `MAX_TEXT_CHARACTERS`.

Each file kind then checks its own keys and values; `text_value` bounds titles and descriptions.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.inputs.input_error import ScenarioError
from sim.inputs.regular_file import UnreadableFile, read_text_file

MAX_FILE_BYTES = 256 * 1024
MAX_NESTING = 10
MAX_BARE_CHARACTERS = 100
MAX_KEY_CHARACTERS = 100
MAX_TEXT_CHARACTERS = 10_000
#: Longest title (it is drawn on every chart) and longest description or source, in characters.
MAX_TITLE_CHARACTERS = 200
MAX_DESCRIPTION_CHARACTERS = 4_000

# Strings and comments are skipped whole, so brackets and digits inside them do not count.
_TOKENS = re.compile(r'''
      \#[^\n]*
    | (?P<string>"""(?:[^\\]|\\.)*?"""(?:"{0,2})
        | '\'\''.*?'\'\''(?:'{0,2})
        | "(?:[^"\\\n]|\\.)*"
        | '[^'\n]*')
    | (?P<dot>\.)
    | (?P<open>[\[{])
    | (?P<close>[\]}])
    | (?P<bare>[A-Za-z0-9_+\-]+)
''', re.VERBOSE | re.DOTALL)


@dataclass(frozen=True)
class TomlFile:
    """A parsed TOML file: its tables, its text as written, and its identity on disk (device, inode)."""

    path: Path
    content: dict[str, Any]
    text: str
    identity: tuple[int, int]


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


_HEADER = re.compile(r"^[ \t]*\[+[ \t]*([^\]\n]+?)[ \t]*\]", re.MULTILINE)
_ASSIGNMENT = re.compile(r"^[ \t]*([A-Za-z0-9_\-.\"' ]+?)[ \t]*=", re.MULTILINE)


def _key_at(text: str, position: int) -> str | None:
    """The key whose value holds `position`, as far as the lines before it tell (for messages)."""
    header = next((m for m in reversed(list(_HEADER.finditer(text, 0, position)))), None)
    start = header.end() if header else 0
    assignment = next((m for m in reversed(list(_ASSIGNMENT.finditer(text, start, position)))), None)
    parts = [m.group(1).replace(" ", "") for m in (header, assignment) if m]
    return ".".join(parts) or None


def _text_problem(text: str) -> tuple[str | None, str] | None:
    """(key, problem) for what in the text would overflow the parser or the integer conversion."""
    depth = 0
    parts, after_dot = 0, False  # parts of the dotted key (or number) being read
    for match in _TOKENS.finditer(text):
        if match.group("string") or match.group("bare"):
            parts = parts + 1 if after_dot else 1
            if parts > MAX_NESTING:
                return _key_at(text, match.start()), (
                    f"a dotted key of more than {MAX_NESTING} parts (line {_line(text, match.start())}); "
                    f"keys may nest at most {MAX_NESTING} levels")
        after_dot = bool(match.group("dot"))
        if match.group("open"):
            depth += 1
            if depth > MAX_NESTING:
                return _key_at(text, match.start()), (
                    f"arrays or tables are nested more than {MAX_NESTING} deep (line "
                    f"{_line(text, match.start())}); at most {MAX_NESTING} levels are allowed")
        elif match.group("close"):
            depth = max(depth - 1, 0)
        elif (bare := match.group("bare")) and len(bare) > MAX_BARE_CHARACTERS:
            where = f"line {_line(text, match.start())}"
            if bare[0] in "0123456789+-":
                return _key_at(text, match.start()), (
                    f"a number of {len(bare):,} characters is too large ({where}); at most "
                    f"{MAX_BARE_CHARACTERS} digits are allowed")
            return _key_at(text, match.start()), (f"a bare word of {len(bare):,} characters ({where}); at "
                                                  f"most {MAX_BARE_CHARACTERS} are allowed")
    return None


def _content_problem(content: dict[str, Any]) -> tuple[str | None, str] | None:
    """(key, problem) for the first key, text or nesting beyond the limits, or None."""
    stack: list[tuple[Any, str, int]] = [(content, "", 0)]
    while stack:
        value, key, depth = stack.pop()
        if depth > MAX_NESTING:
            return key, f"is nested more than {MAX_NESTING} levels deep; at most {MAX_NESTING} are allowed"
        if isinstance(value, dict):
            for name, item in value.items():
                if len(name) > MAX_KEY_CHARACTERS:
                    return key or None, (f"holds a key of {len(name):,} characters; at most "
                                         f"{MAX_KEY_CHARACTERS} are allowed")
                stack.append((item, f"{key}.{name}" if key else name, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, key, depth + 1) for item in value)
        elif isinstance(value, str) and len(value) > MAX_TEXT_CHARACTERS:
            return key, (f"is a text of {len(value):,} characters; no text may be longer than "
                         f"{MAX_TEXT_CHARACTERS:,} (a title: {MAX_TITLE_CHARACTERS}, a description: "
                         f"{MAX_DESCRIPTION_CHARACTERS:,})")
    return None


def read_toml(path: Path | str, what: str = "file", referred_by: tuple[Path | str, str] | None = None
              ) -> TomlFile:
    """Read and parse the TOML file at `path` within the limits above.

    `what` names the kind in messages ("scenario file"). `referred_by` is (file, key) when another
    file named this one (`extends`, `base`): a file that cannot be opened is then blamed on that
    key, since that is where the mistake is; a file that opens but is wrong is blamed on itself.
    """
    path = Path(path)
    try:
        text, identity = read_text_file(path, MAX_FILE_BYTES)
    except UnreadableFile as error:
        if referred_by is not None:
            file, key = referred_by
            if error.missing:
                raise ScenarioError(file, key, f"{what} {path} does not exist; give a file name relative to "
                                               "this file's folder") from None
            raise ScenarioError(file, key, f"{what} {path}: {error.reason}") from None
        if error.missing:
            raise ScenarioError(path, None, f"no such {what}; give the path of a .toml file") from None
        raise ScenarioError(path, None, error.reason) from None
    return TomlFile(path, parse_toml(text, path), text, identity)


def parse_toml(text: str, origin: Path | str) -> dict[str, Any]:
    """The tables of TOML `text` (from a file, or a scenario's text kept in a manifest), within the
    limits above; `ScenarioError` naming `origin` otherwise."""
    found = _text_problem(text)
    if found:
        key, problem = found
        raise ScenarioError(origin, key, problem)
    try:
        content = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:  # its message ends with "(at line N, column M)"
        raise ScenarioError(origin, None, f"is not valid TOML: {error}") from None
    except (RecursionError, ValueError, MemoryError):  # not reached after the text check; kept as a net
        raise ScenarioError(origin, None, "cannot be read: too deeply nested or a number too long") from None
    found = _content_problem(content)
    if found:
        key, problem = found
        raise ScenarioError(origin, key, problem)
    return content


def text_value(path: Path | str, key: str, value: object, limit: int = MAX_TITLE_CHARACTERS,
               required: bool = True) -> str:
    """`value` as a text of at most `limit` characters, stripped (empty if not required and absent)."""
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ScenarioError(path, key, "is required: a non-empty text in quotes" if required
                            else "must be a text in quotes")
    if len(value) > limit:
        raise ScenarioError(path, key, f"is {len(value):,} characters long; at most {limit:,} are allowed")
    return value.strip()
