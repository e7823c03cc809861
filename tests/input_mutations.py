"""Mutated scenario, sweep and standards files, for the fuzz tests and `benchmarks/fuzz_inputs.py`.

Each `Case` is a small folder of files (some of them FIFOs, folders, symbolic links or sparse
4 GB files) and the one Amparo is asked to read. `generate(count, seed)` gives the same cases for
the same seed on every machine; `every_mutation()` gives one case of each mutation and kind.
`outcome(case, folder)` reads the case through its loader and classifies what happened:
"accepted", "clean error" (one single-line `ScenarioError`), "unhandled" or "hang".

The mutations are what a careless or hostile user writes: deep, looping and symlinked `extends`
and `base` chains; huge, negative, NaN and infinite numbers, in every TOML spelling; NULs; long
and unicode names; binary garbage and damaged text; arrays and tables where scalars belong;
unknown keys; deep nesting; huge files; and special files in place of the file or of its base.
"""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sim.model.parameters import field_by_name

ROOT = Path(__file__).resolve().parents[1]
BASELINE = (ROOT / "scenarios" / "baseline_2008.toml").as_posix()
STANDARDS_TEXT = (ROOT / "scenarios" / "standards.toml").read_text(encoding="utf-8")
KINDS = ("scenario", "sweep", "standards")
SECTION_OF = {"lever": "levers", "uncertainty": "uncertainties", "setting": "settings"}
FIELDS = field_by_name()
NUMERIC = sorted(name for name, f in FIELDS.items() if f.type in ("int", "float"))
ENTRY = "input.toml"
#: Seconds one case may take before it counts as a hang.
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Special:
    """A file that is not plain text: "fifo", "folder", "symlink" (to `target`), "sparse" (4 GB)."""

    what: str
    target: str = ""


@dataclass(frozen=True)
class Case:
    kind: str  # "scenario", "sweep" or "standards"
    mutation: str
    files: tuple[tuple[str, bytes | Special], ...] = ()
    entry: str = ENTRY  # the name read; may hold a NUL or be too long, and then is not created
    notes: dict = field(default_factory=dict, compare=False)


# --- valid starting points ------------------------------------------------------------------------
def _valid_value(rng: random.Random, name: str) -> str:
    f = FIELDS[name]
    if f.type == "bool":
        return rng.choice(["true", "false"])
    if f.type == "MonthlyProfile":  # 12 values with mean 1
        half = round(rng.uniform(0, 1), 4)
        return "[" + ", ".join([repr(1 - half), repr(1 + half)] * 6) + "]"
    low, high = f.metadata["low"], min(f.metadata["high"], (f.metadata["low"] or 0) + 1000)
    if f.type == "int":
        return str(rng.randint(int(low), int(high)))
    return repr(round(rng.uniform(low, high), 4))


def _assignment(rng: random.Random, name: str, value: str) -> tuple[str, str]:
    return SECTION_OF[FIELDS[name].metadata["kind"]], f"{name} = {value}"


def scenario_text(rng: random.Random, extends: str | None = BASELINE, values: int = 2,
                  extra: dict[str, list[str]] | None = None, header: list[str] | None = None) -> str:
    """A valid scenario (unless `extra` lines make it invalid): a few in-range values."""
    sections: dict[str, list[str]] = {section: [] for section in SECTION_OF.values()}
    # the random values never set a key the extra lines set (TOML forbids a key set twice)
    taken = {line.split("=")[0].strip() for lines in (extra or {}).values() for line in lines}
    plain = sorted(name for name, f in FIELDS.items()
                   if not name.startswith("share_") and f.type in ("int", "float", "bool")
                   and name not in taken)
    for name in rng.sample(plain, values):
        section, line = _assignment(rng, name, _valid_value(rng, name))
        sections[section].append(line)
    for section, lines in (extra or {}).items():
        sections.setdefault(section, []).extend(lines)
    top = header if header is not None else ['title = "Fuzzed scenario"',
                                             'description = "A scenario written by the fuzz suite."']
    if extends is not None:
        top = [*top, f"extends = {_quoted(extends)}"]
    lines = list(top) + sections.pop("", [])
    for section, body in sections.items():
        if body:
            lines += [f"[{section}]", *body]
    return "\n".join(lines) + "\n"


def sweep_text(rng: random.Random, base: str = BASELINE, top: dict[str, str] | None = None,
               dimensions: dict[str, list[str]] | None = None) -> str:
    """A valid sweep of a few points (unless `top` or `dimensions` make it invalid)."""
    values = {"title": '"Fuzzed sweep"', "base": _quoted(base), "design": '"latin_hypercube"',
              "points": str(rng.randint(1, 4)), "replications": "1", "seed": str(rng.randint(0, 10**6)),
              "years": "0.1"}
    values.update(top or {})
    lines = [f"{key} = {value}" for key, value in values.items() if value is not None]
    sections = dimensions or {"levers": [f"shelters = {{ low = {rng.randint(1, 20)}, high = "
                                         f"{rng.randint(21, 60)} }}"]}
    for section, body in sections.items():
        lines += [f"[{section}]", *body]
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    """`text` as a TOML basic string (control characters escaped, so a NUL stays a NUL)."""
    escaped = []
    for character in text:
        if character in '"\\':
            escaped.append("\\" + character)
        elif ord(character) < 32 or ord(character) == 127:
            escaped.append(f"\\u{ord(character):04x}")
        else:
            escaped.append(character)
    return '"' + "".join(escaped) + '"'


def valid_text(rng: random.Random, kind: str) -> str:
    if kind == "scenario":
        return scenario_text(rng, extends=rng.choice([BASELINE, None]))
    if kind == "sweep":
        return sweep_text(rng)
    return STANDARDS_TEXT


# --- odd values, in TOML spelling -------------------------------------------------------------------
def _digits(rng: random.Random) -> int:
    return rng.choice([19, 20, 64, 99, 100, 101, 309, 400, 4300, 4301, 5000, 20_000])


def odd_number(rng: random.Random) -> str:
    """A number as TOML writes it: NaN, infinities, huge, tiny, negative, hexadecimal, 1e400..."""
    choices: list[Callable[[], str]] = [
        lambda: rng.choice(["nan", "+nan", "-nan", "inf", "+inf", "-inf"]),
        lambda: rng.choice(["1e400", "-1e400", "1e308", "-1e308", "5e-324", "-0.0", "0", "-1", "-0"]),
        lambda: "1" + "0" * (_digits(rng) - 1),
        lambda: "-" + "9" * _digits(rng),
        lambda: "0x" + "f" * rng.choice([16, 64, 100, 101, 5000]),
        lambda: "0o" + "7" * rng.choice([22, 100, 101, 4000]),
        lambda: "0b" + "1" * rng.choice([64, 100, 101, 9000]),
        lambda: "1." + "0" * _digits(rng) + "1",
        lambda: "1_000_000_000_000_000_000",
        lambda: str(rng.choice([2**31, 2**63, 2**64, -2**63 - 1, 10**18])),
        lambda: repr(rng.uniform(-1e6, 1e6)),
        lambda: rng.choice(["1979-05-27T07:32:00Z", "07:32:00", "1979-05-27"]),
    ]
    return rng.choice(choices)()


def odd_value(rng: random.Random) -> str:
    """Anything where a number belongs: odd numbers, texts, booleans, arrays, tables, deep nesting."""
    choices: list[Callable[[], str]] = [
        lambda: odd_number(rng),
        lambda: odd_number(rng),
        lambda: rng.choice(["true", "false"]),
        lambda: _quoted(rng.choice(["", "12", "nan", "x" * rng.choice([10, 300, 20_000]), "\0", "ñandú 🦆",
                                    "a\nb", "\u202eevil", "\ud7ff"])),
        lambda: "[" + ", ".join(odd_number(rng) for _ in range(rng.randint(0, 3))) + "]",
        lambda: "{ low = " + odd_number(rng) + ", high = " + odd_number(rng) + " }",
        lambda: "{ a = { b = 1 } }",
        lambda: _nested(rng.choice([2, 10, 11, 50, 1000, 20_000]), rng.choice("[{")),
        lambda: "[" + ", ".join(["1"] * rng.choice([1000, 50_000])) + "]",
    ]
    return rng.choice(choices)()


def _nested(depth: int, bracket: str) -> str:
    if bracket == "[":
        return "[" * depth + "1" + "]" * depth
    return "{ a = " * depth + "1" + " }" * depth


# --- the mutations --------------------------------------------------------------------------------
Mutation = Callable[[random.Random, str], Case]
MUTATIONS: dict[str, tuple[Mutation, tuple[str, ...]]] = {}


def mutation(*kinds: str) -> Callable[[Mutation], Mutation]:
    def register(function: Mutation) -> Mutation:
        MUTATIONS[function.__name__] = (function, kinds or KINDS)
        return function
    return register


def _case(kind: str, name: str, text: str | bytes, *others: tuple[str, bytes | Special]) -> Case:
    """A case whose file to read, `input.toml`, holds `text`, with `others` beside it."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return Case(kind, name, ((ENTRY, data), *others))


@mutation()
def valid(rng: random.Random, kind: str) -> Case:
    """A valid file (the control: it must be accepted)."""
    return _case(kind, "valid", valid_text(rng, kind))


@mutation()
def odd_parameter_value(rng: random.Random, kind: str) -> Case:
    """An odd value where a parameter, a sweep setting or a standard's limit goes."""
    if kind == "scenario":
        name = rng.choice(NUMERIC)
        section, line = _assignment(rng, name, odd_value(rng))
        return _case(kind, "odd_parameter_value", scenario_text(rng, extra={section: [line]}))
    if kind == "sweep":
        key = rng.choice(["points", "replications", "seed", "years", "design", "title", "description",
                          "dimension", "dimension", "range"])
        if key == "dimension":
            name = rng.choice(NUMERIC)
            section, _ = _assignment(rng, name, "0")
            text = sweep_text(rng, dimensions={section: [f"{name} = [{odd_value(rng)}]"]})
        elif key == "range":
            name = rng.choice(NUMERIC)
            section, _ = _assignment(rng, name, "0")
            text = sweep_text(rng, dimensions={section: [f"{name} = {{ low = {odd_number(rng)}, high = "
                                                         f"{odd_number(rng)} }}"]})
        else:
            text = sweep_text(rng, top={key: odd_value(rng)})
        return _case(kind, "odd_parameter_value", text)
    key = rng.choice(["at_least", "at_most", "days", "outcome", "title", "source"])
    standard = rng.choice(["officer_interview_within_two_days", "no_detention_or_adults"])
    text = STANDARDS_TEXT + f"\n[fuzzed]\n{key} = {odd_value(rng)}\n"
    if rng.random() < 0.5:
        text = STANDARDS_TEXT.replace(f"[{standard}]", f"[{standard}]\n{key} = {odd_value(rng)}", 1)
    return _case(kind, "odd_parameter_value", text)


@mutation("scenario", "sweep")
def odd_top_level_value(rng: random.Random, kind: str) -> Case:
    """Arrays, tables and odd values in place of title, description, extends, base or a section."""
    key = rng.choice(["title", "description", "extends" if kind == "scenario" else "base", "levers",
                      "uncertainties", "settings"])
    value = rng.choice([odd_value(rng), "[]", "{}", '["a", "b"]', "3", _quoted("x" * 30_000)])
    if kind == "scenario":
        header = [line for line in ['title = "T"', 'description = "D"'] if not line.startswith(key)]
        return _case(kind, "odd_top_level_value", "\n".join([f"{key} = {value}", *header]) + "\n")
    if key in ("title", "description", "base"):
        return _case(kind, "odd_top_level_value", sweep_text(rng, top={key: value}))
    other = {"levers": "uncertainties", "uncertainties": "levers", "settings": "levers"}[key]
    dimension = "arrival_multiplier = [1.0, 1.5]" if other == "uncertainties" else "shelters = [10, 20]"
    text = f"{key} = {value}\n" + sweep_text(rng, dimensions={other: [dimension]})
    return _case(kind, "odd_top_level_value", text)


@mutation()
def unknown_keys(rng: random.Random, kind: str) -> Case:
    """Misspelt, unicode, quoted, very long and dotted keys at the top and in sections."""
    name = rng.choice(["colour", "shelterz", "pionts", "ñame", "a" * rng.choice([50, 101, 5000]), "1",
                       '"quoted key"', '"\\u0000"', "levers.x", "title.x"])
    where = rng.choice(["top", "section"])
    if kind == "scenario":
        extra = {"" if where == "top" else rng.choice(list(SECTION_OF.values())): [f"{name} = 1"]}
        return _case(kind, "unknown_keys", scenario_text(rng, extra=extra))
    if kind == "sweep":
        text = sweep_text(rng, top={name: "1"} if where == "top" else None,
                          dimensions=None if where == "top" else {"levers": [f"{name} = [1]"]})
        return _case(kind, "unknown_keys", text)
    table = "[fuzzed]\n" if where == "top" else ""
    return _case(kind, "unknown_keys", STANDARDS_TEXT + f"\n{table}{name} = 1\n")


@mutation()
def deep_nesting(rng: random.Random, kind: str) -> Case:
    """Arrays, inline tables, table headers or dotted keys nested from 5 to 100,000 deep."""
    depth = rng.choice([5, 10, 11, 100, 1000, 5000, 100_000])
    form = rng.choice(["array", "table", "header", "dotted", "array_of_tables"])
    if form in ("array", "table"):
        line = "x = " + _nested(depth, "[" if form == "array" else "{")
    elif form == "header":
        line = "[" + ".".join(["a"] * depth) + "]\nx = 1"
    elif form == "dotted":
        line = ".".join(["a"] * depth) + " = 1"
    else:
        line = "\n".join("[[" + ".".join(["a"] * (i + 1)) + "]]" for i in range(min(depth, 200)))
    text = valid_text(rng, kind)
    return _case(kind, f"deep_nesting_{form}", line + "\n" + text if form in ("array", "table", "dotted")
                 else text + "\n" + line + "\n")


@mutation()
def binary_garbage(rng: random.Random, kind: str) -> Case:
    """Random bytes, invalid UTF-8, UTF-16, a BOM, raw and escaped NULs, control characters, CRLF."""
    form = rng.choice(["random", "prefix", "invalid_utf8", "utf16", "bom", "raw_nul", "nul_escape",
                       "control", "crlf"])
    text = valid_text(rng, kind).encode("utf-8")
    if form == "random":
        data = rng.randbytes(rng.choice([1, 100, 10_000]))
    elif form == "prefix":
        data = rng.randbytes(20) + text
    elif form == "invalid_utf8":
        position = rng.randrange(len(text))
        data = text[:position] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]) \
            + text[position:]
    elif form == "utf16":
        data = text.decode("utf-8").encode("utf-16")
    elif form == "bom":
        data = b"\xef\xbb\xbf" + text
    elif form == "raw_nul":
        position = rng.randrange(len(text))
        data = text[:position] + b"\0" + text[position:]
    elif form == "nul_escape":
        data = text.replace(b'"', b'"\\u0000', 1)
    elif form == "control":
        data = text.replace(b"\n", b"\n\x07\x1b[2J", 1)
    else:
        data = text.replace(b"\n", b"\r\n")
    return _case(kind, f"binary_{form}", data)


@mutation()
def damaged_text(rng: random.Random, kind: str) -> Case:
    """The valid text cut short, with bytes flipped, deleted or doubled."""
    text = bytearray(valid_text(rng, kind).encode("utf-8"))
    form = rng.choice(["truncated", "flipped", "deleted", "doubled", "empty", "shuffled_lines"])
    if form == "truncated":
        text = text[:rng.randrange(len(text))]
    elif form == "flipped":
        for _ in range(rng.randint(1, 5)):
            text[rng.randrange(len(text))] = rng.choice(b'[]{}="\'#.,\\\n 0123456789abcnif-+_')
    elif form == "deleted":
        start = rng.randrange(len(text))
        del text[start:start + rng.randint(1, 20)]
    elif form == "doubled":
        start = rng.randrange(len(text))
        text[start:start] = text[start:start + rng.randint(1, 40)]
    elif form == "empty":
        text = bytearray(rng.choice([b"", b"\n", b"# only a comment\n", b"   "]))
    else:
        lines = bytes(text).split(b"\n")
        rng.shuffle(lines)
        text = bytearray(b"\n".join(lines))
    return _case(kind, f"damaged_{form}", bytes(text))


@mutation()
def long_text(rng: random.Random, kind: str) -> Case:
    """Long titles and descriptions, long lines, and files past the size limit."""
    form = rng.choice(["title", "description", "padding", "one_line"])
    size = rng.choice([201, 4001, 30_000, 300_000])
    text = valid_text(rng, kind)
    if form == "title":
        text = text.replace('title = "', 'title = "' + "T" * size, 1)
    elif form == "description" and kind != "standards":
        text = f"description = {_quoted('D' * size)}\n" + "\n".join(
            line for line in text.split("\n") if not line.startswith("description"))
    elif form == "description":
        text = text.replace('source = """', 'source = """' + "S " * (size // 2), 1)
    elif form == "padding":
        text += "#" * size + "\n"
    else:
        text = "x = " + _quoted("y" * size) + "\n" + text
    return _case(kind, f"long_{form}", text)


@mutation()
def unicode_text(rng: random.Random, kind: str) -> Case:
    """Titles in other scripts, emoji, combining marks, right-to-left and zero-width characters."""
    title = rng.choice(["Niñas y niños", "子ども", "🦆" * 50, "e\u0301" * 100, "\u202eright to left",
                        "\u200b\u200b", "Ω" * 250])
    return _case(kind, "unicode_text", valid_text(rng, kind).replace('title = "', f'title = "{title}', 1))


@mutation()
def special_entry(rng: random.Random, kind: str) -> Case:
    """The file to read is not a regular file: a FIFO, a folder, a device, a loop, a 4 GB file."""
    form = rng.choice(["fifo", "folder", "dev_zero", "dev_urandom", "dev_null", "symlink_loop",
                       "dangling_symlink", "sparse_4gb", "missing", "symlink_to_folder", "proc_file"])
    if form == "fifo":
        return Case(kind, "special_fifo", ((ENTRY, Special("fifo")),))
    if form == "folder":
        return Case(kind, "special_folder", ((ENTRY, Special("folder")),))
    if form in ("dev_zero", "dev_urandom", "dev_null"):
        return Case(kind, f"special_{form}", ((ENTRY, Special("symlink", "/dev/" + form[4:])),))
    if form == "symlink_loop":
        return Case(kind, "special_symlink_loop", ((ENTRY, Special("symlink", "other.toml")),
                                                   ("other.toml", Special("symlink", ENTRY))))
    if form == "dangling_symlink":
        return Case(kind, "special_dangling_symlink", ((ENTRY, Special("symlink", "nowhere.toml")),))
    if form == "sparse_4gb":
        return Case(kind, "special_sparse_4gb", ((ENTRY, Special("sparse")),))
    if form == "symlink_to_folder":
        return Case(kind, "special_symlink_to_folder", (("folder", Special("folder")),
                                                        (ENTRY, Special("symlink", "folder"))))
    if form == "proc_file":
        return Case(kind, "special_proc_file", ((ENTRY, Special("symlink", "/proc/self/status")),))
    return Case(kind, "special_missing", ())


@mutation()
def odd_entry_name(rng: random.Random, kind: str) -> Case:
    """The path asked for holds a NUL, a name over 255 bytes, a path over 4,096 bytes, or unicode."""
    form = rng.choice(["nul", "long_name", "long_unicode_name", "long_path", "unicode", "spaces", "newline"])
    names = {"nul": "in\0put.toml", "long_name": "a" * 300 + ".toml",
             "long_unicode_name": "ñ" * 130 + ".toml",
             "long_path": "/".join(["d" * 200] * 25) + "/x.toml", "unicode": "escenario_niñas_子ども.toml",
             "spaces": " leading and trailing .toml ", "newline": "two\nlines.toml"}
    name = names[form]
    creatable = form in ("unicode", "spaces", "newline")
    files = ((name, valid_text(rng, kind).encode("utf-8")),) if creatable else ()
    return Case(kind, f"entry_name_{form}", files, name)


# --- references: `extends` (scenarios) and `base` (sweeps) -----------------------------------------
def _referring(rng: random.Random, kind: str, target: str) -> str:
    if kind == "scenario":
        return scenario_text(rng, extends=target)
    return sweep_text(rng, base=target)


@mutation("scenario", "sweep")
def reference_chain(rng: random.Random, kind: str) -> Case:
    """A chain of bases 1 to 40 files deep (at most 20 files are allowed), ending in the baseline."""
    depth = rng.choice([1, 2, 5, 19, 20, 21, 40])
    files = [(f"base_{i}.toml", scenario_text(rng, values=1, extends=f"base_{i + 1}.toml" if i + 1 < depth
                                              else BASELINE).encode("utf-8")) for i in range(depth)]
    files_in_chain = depth + (1 if kind == "scenario" else 0)  # a scenario's chain counts itself
    return _case(kind, f"reference_chain_{'over' if files_in_chain > 20 else 'within'}_limit",
                 _referring(rng, kind, "base_0.toml"), *files)


@mutation("scenario", "sweep")
def reference_loop(rng: random.Random, kind: str) -> Case:
    """Bases that loop back: to the file itself, or after 1 to 25 files, spelled in many ways."""
    length = rng.choice([1, 2, 3, 25])
    spelling = rng.choice(["plain", "dot_slash", "absolute_like", "hard_link"])
    names = [f"loop_{i}.toml" for i in range(length)]

    def spelled(name: str) -> str:
        return {"plain": name, "dot_slash": f"./{name}", "absolute_like": f"../{{folder}}/{name}",
                "hard_link": name}[spelling]

    files = [(name, scenario_text(rng, extends=spelled(names[(i + 1) % length]), values=1).encode("utf-8"))
             for i, name in enumerate(names)]
    case = _case(kind, f"reference_loop_{spelling}", _referring(rng, kind, names[0]), *files)
    if kind == "scenario" and rng.random() < 0.3:  # the scenario extends itself
        case = _case(kind, "reference_loop_self", scenario_text(rng, extends=ENTRY))
    return case


@mutation("scenario", "sweep")
def reference_symlink(rng: random.Random, kind: str) -> Case:
    """The base is a symbolic link: to itself, into a loop, dangling, to the referring file, to a
    device or a FIFO or a folder."""
    form = rng.choice(["self_loop", "pair_loop", "dangling", "to_referrer", "to_dev_zero", "to_fifo",
                       "to_folder", "to_valid"])
    base = "link.toml"
    others: list[tuple[str, bytes | Special]]
    if form == "self_loop":
        others = [(base, Special("symlink", base))]
    elif form == "pair_loop":
        others = [(base, Special("symlink", "link2.toml")), ("link2.toml", Special("symlink", base))]
    elif form == "dangling":
        others = [(base, Special("symlink", "gone.toml"))]
    elif form == "to_referrer":
        others = [(base, Special("symlink", ENTRY))]
    elif form == "to_dev_zero":
        others = [(base, Special("symlink", "/dev/zero"))]
    elif form == "to_fifo":
        others = [("pipe", Special("fifo")), (base, Special("symlink", "pipe"))]
    elif form == "to_folder":
        others = [("folder", Special("folder")), (base, Special("symlink", "folder"))]
    else:
        others = [(base, Special("symlink", BASELINE))]
    return _case(kind, f"reference_symlink_{form}", _referring(rng, kind, base), *others)


@mutation("scenario", "sweep")
def reference_special(rng: random.Random, kind: str) -> Case:
    """The base is a FIFO, a folder, a device, a 4 GB file, garbage, a sweep file, or the file itself."""
    form = rng.choice(["fifo", "folder", "dev_zero", "dev_urandom", "sparse", "garbage", "sweep_file",
                       "standards_file", "etc_shadow", "itself"])
    base = "base.toml"
    if form == "fifo":
        others: list = [(base, Special("fifo"))]
    elif form == "folder":
        others = [(base, Special("folder"))]
    elif form in ("dev_zero", "dev_urandom"):
        return _case(kind, f"reference_special_{form}", _referring(rng, kind, "/dev/" + form[4:]))
    elif form == "sparse":
        others = [(base, Special("sparse"))]
    elif form == "garbage":
        others = [(base, rng.randbytes(200))]
    elif form == "sweep_file":
        others = [(base, sweep_text(rng).encode("utf-8"))]
    elif form == "standards_file":
        others = [(base, STANDARDS_TEXT.encode("utf-8"))]
    elif form == "etc_shadow":
        return _case(kind, "reference_special_etc_shadow", _referring(rng, kind, "/etc/shadow"))
    else:
        return _case(kind, "reference_special_itself", _referring(rng, kind, ENTRY))
    return _case(kind, f"reference_special_{form}", _referring(rng, kind, base), *others)


@mutation("scenario", "sweep")
def reference_name(rng: random.Random, kind: str) -> Case:
    """The base's name: a NUL, over 255 bytes, a path over 4,096 bytes, empty, blank, unicode, a folder."""
    form = rng.choice(["nul", "long", "long_unicode", "long_path", "empty", "blank", "unicode", "dot",
                       "parent", "newline", "missing"])
    name = {"nul": "ba\0se.toml", "long": "b" * 300 + ".toml", "long_unicode": "子" * 90 + ".toml",
            "long_path": "/".join(["p" * 250] * 20), "empty": "", "blank": "   ", "unicode": "niñez_子.toml",
            "dot": ".", "parent": "..", "newline": "a\nb.toml", "missing": "gone.toml"}[form]
    others = [(name, scenario_text(rng, values=1).encode("utf-8"))] if form in ("unicode", "newline") else []
    return _case(kind, f"reference_name_{form}", _referring(rng, kind, name), *others)


@mutation("sweep")
def sweep_size(rng: random.Random, kind: str) -> Case:
    """Points, replications and grids at and beyond the limits (10,000 points, 1,000,000 runs)."""
    form = rng.choice(["points_limit", "points_over", "points_million", "runs_over", "grid_over", "grid_huge",
                       "zero_points", "no_dimensions", "range_on_grid"])
    if form in ("points_limit", "points_over", "points_million"):
        points = {"points_limit": rng.choice([100, 1000]), "points_over": 10_001,
                  "points_million": 1_000_000}[form]
        return _case(kind, f"sweep_{form}", sweep_text(rng, top={"points": str(points)}))
    if form == "runs_over":
        return _case(kind, "sweep_runs_over", sweep_text(rng, top={"points": "10000", "replications": "101"}))
    if form in ("grid_over", "grid_huge"):
        count = 101 if form == "grid_over" else 2000
        values = "[" + ", ".join(str(i) for i in range(count)) + "]"
        dimensions = {"levers": [f"shelters = {values}", f"beds_per_shelter = {values}"]}
        return _case(kind, f"sweep_{form}", sweep_text(rng, top={"design": '"grid"'}, dimensions=dimensions))
    if form == "zero_points":
        return _case(kind, "sweep_zero_points", sweep_text(rng, top={"points": rng.choice(["0", "-1"])}))
    if form == "no_dimensions":
        return _case(kind, "sweep_no_dimensions", sweep_text(rng, dimensions={"levers": []}))
    return _case(kind, "sweep_range_on_grid", sweep_text(rng, top={"design": '"grid"'}))


@mutation("standards")
def standards_shape(rng: random.Random, kind: str) -> Case:
    """Standards that lack a limit, have both, have no timed days, or are not tables."""
    form = rng.choice(["both_limits", "no_limit", "no_days", "days_untimed", "not_a_table", "empty",
                       "no_title", "array_of_tables"])
    untimed = '\n[x]\ntitle = "t"\nsource = "s"\noutcome = "detention_limit_breaches"\n'
    text = {
        "both_limits": STANDARDS_TEXT + untimed + "at_most = 0\nat_least = 0\n",
        "no_limit": STANDARDS_TEXT + untimed,
        "no_days": STANDARDS_TEXT + '\n[x]\ntitle = "t"\nsource = "s"\n'
                                    'outcome = "share_officer_interview_within_days"\nat_least = 0.5\n',
        "days_untimed": STANDARDS_TEXT + '\n[x]\ntitle = "t"\nsource = "s"\n'
                                         'outcome = "detention_limit_breaches"\ndays = 2\nat_most = 0\n',
        "not_a_table": "x = 3\n" + STANDARDS_TEXT,
        "empty": "",
        "no_title": '[x]\nsource = "s"\noutcome = "detention_limit_breaches"\nat_most = 0\n',
        "array_of_tables": '[[x]]\ntitle = "t"\n',
    }[form]
    return _case(kind, f"standards_{form}", text)


# --- drawing cases ------------------------------------------------------------------------------------
def case_for(seed: int | str, index: int) -> Case:
    """Case number `index` of the stream `seed` (the same on every machine)."""
    rng = random.Random(f"{seed}-{index}")
    kind = KINDS[index % len(KINDS)]
    names = [name for name, (_, kinds) in MUTATIONS.items() if kind in kinds]
    function, _ = MUTATIONS[rng.choice(names)]
    return function(rng, kind)


def generate(count: int, seed: int | str = 2008) -> Iterator[Case]:
    for index in range(count):
        yield case_for(seed, index)


def every_mutation(seed: int | str = 2008) -> list[Case]:
    """One case of each mutation for each kind it applies to."""
    cases = []
    for name, (function, kinds) in MUTATIONS.items():
        for kind in kinds:
            cases.append(function(random.Random(f"{seed}-{name}-{kind}"), kind))
    return cases


# --- materializing and reading ----------------------------------------------------------------------
def materialize(case: Case, folder: Path) -> Path | str:
    """Write the case's files into `folder`; the path (or impossible path text) to read."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in case.files:
        target = folder / name
        if isinstance(content, Special):
            if content.what == "fifo":
                os.mkfifo(target)
            elif content.what == "folder":
                target.mkdir()
            elif content.what == "symlink":
                os.symlink(content.target, target)
            elif content.what == "sparse":
                with open(target, "wb") as handle:
                    handle.truncate(4 * 1024**3)
        else:
            target.write_bytes(content.replace(b"{folder}", folder.name.encode()))
    if case.mutation == "reference_loop_hard_link":
        names = sorted(name for name, _ in case.files if name.startswith("loop_"))
        if len(names) > 1:  # the last file of the loop becomes a hard link to the first
            (folder / names[-1]).unlink()
            os.link(folder / names[0], folder / names[-1])
    if "\0" in case.entry or len(case.entry.encode()) > 255 or len(case.entry) > 1000:
        return str(folder) + "/" + case.entry
    return folder / case.entry


def loader(kind: str) -> Callable[[Path | str], object]:
    if kind == "scenario":
        from sim.inputs.scenario import load_scenario
        return load_scenario
    if kind == "sweep":
        from sim.experiments.sweep import load_sweep
        return load_sweep
    from sim.inputs.standards import load_standards
    return load_standards


class CaseTimeout(Exception):
    """A case ran past its time limit."""


def _alarm(signum: int, frame: object) -> None:
    raise CaseTimeout


def outcome(case: Case, folder: Path, timeout: float = TIMEOUT_SECONDS) -> tuple[str, str]:
    """("accepted" | "clean error" | "unhandled" | "hang", detail) of reading `case` from `folder`."""
    from sim.inputs.scenario import ScenarioError

    path = materialize(case, folder)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        loader(case.kind)(path)
        return "accepted", ""
    except ScenarioError as error:
        message = str(error)
        if "\n" in message or not message.strip() or "Traceback" in message:
            return "unhandled", f"ScenarioError of {message.count(chr(10)) + 1} lines"
        return "clean error", message
    except CaseTimeout:
        return "hang", f"over {timeout:g} s"
    except Exception as error:  # noqa: BLE001 - classifying is the point
        return "unhandled", f"{type(error).__name__}: {str(error)[:200]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- the command line ---------------------------------------------------------------------------------
#: A standard that does not exist: `amparo size` reports it only after reading every input, so an
#: accepted scenario or standards file ends in this error without running the model.
NO_STANDARD = "fuzz_no_such_standard"


def cli_arguments(case: Case, path: Path | str, out: Path) -> list[str]:
    """Arguments of an `amparo` command that reads the case's file and stops before any simulation."""
    path = str(path)
    if case.kind == "scenario":
        return ["size", path, "--lever", "officers", "--standard", NO_STANDARD, "--out", str(out)]
    if case.kind == "standards":
        return ["size", BASELINE, "--lever", "officers", "--standards", path, "--standard", NO_STANDARD,
                "--out", str(out)]
    # --workers with --scheduler is refused only once the sweep file is read and checked
    return ["sweep", path, "--out", str(out), "--workers", "1", "--scheduler", "tcp://127.0.0.1:9"]


def classify_cli(exit_code: int | None, stderr: str, stdout: str) -> tuple[str, str]:
    """("accepted" | "clean error" | "unhandled" | "hang", detail) of one command's result."""
    if exit_code is None:
        return "hang", "timed out"
    lines = [line for line in stderr.splitlines() if line.strip()]
    if "Traceback" in stderr or "Traceback" in stdout:
        return "unhandled", (lines or ["?"])[-1][:200]
    if exit_code == 1 and len(lines) == 1 and lines[0].startswith("Error: "):
        accepted = NO_STANDARD in lines[0] or "--workers sets local processes" in lines[0]
        return ("accepted" if accepted else "clean error"), lines[0]
    if exit_code == 2 and lines and lines[-1].startswith("Error: "):  # click's usage error
        return "clean error", lines[-1]
    return "unhandled", f"exit {exit_code}: {' | '.join(lines)[:200]}"


__all__ = ["Case", "MUTATIONS", "NO_STANDARD", "Special", "case_for", "classify_cli", "cli_arguments",
           "every_mutation", "generate", "materialize", "outcome"]
