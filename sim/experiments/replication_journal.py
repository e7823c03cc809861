"""The journal of finished replications that `run` and `compare` keep, so a killed run resumes.

Each finished replication is one file, `set-S-replication-I.npz` (S: which parameter set of a
comparison, 0 for a run): its seed, its outcomes and the tables it kept, saved exactly (NumPy's
own format for the arrays, JSON's round-trip repr for the outcomes), written to a temporary name,
synced and renamed, so a file that exists is whole. A file that cannot be read is ignored and its
replication is run again. Results read back are identical bit for bit to the ones saved, so a
resumed run writes the same tables as one that was never interrupted.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import numpy as np

from sim.experiments.replications import ReplicationResult

_NAME = re.compile(r"^set-(\d+)-replication-(\d+)\.npz$")
_TABLE_KEY = "table/"


class ReplicationJournal:
    """Finished replications, one file each, in `folder` (created if needed)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def finished(self, parameter_set: int = 0) -> dict[int, ReplicationResult]:
        """The replications of `parameter_set` already saved, by replication index."""
        found = {}
        for entry in os.scandir(self.folder):
            match = _NAME.match(entry.name)
            if match is None or int(match.group(1)) != parameter_set:
                continue
            result = _read(Path(entry.path))
            if result is not None and result.replication == int(match.group(2)):
                found[result.replication] = result
        return found

    def save(self, result: ReplicationResult, parameter_set: int = 0) -> None:
        """Save one finished replication durably (whole or not at all)."""
        final = self.folder / f"set-{parameter_set}-replication-{result.replication}.npz"
        temporary = self.folder / f".{final.name}.tmp"
        arrays = {"about": np.array(json.dumps({"replication": result.replication, "seed": result.seed,
                                                "outcomes": result.outcomes,
                                                "wall_seconds": result.wall_seconds,
                                                "tables": result.tables is not None}))}
        for name, table in (result.tables or {}).items():
            for column, values in table.items():
                arrays[f"{_TABLE_KEY}{name}/{column}"] = np.asarray(values)
        with open(temporary, "wb") as handle:
            np.savez(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)


def _read(path: Path) -> ReplicationResult | None:
    try:
        with np.load(path, allow_pickle=False) as content:
            about = json.loads(str(content["about"]))
            tables: dict[str, dict[str, np.ndarray]] | None = {} if about["tables"] else None
            for key in content.files:
                if key.startswith(_TABLE_KEY) and tables is not None:
                    name, column = key[len(_TABLE_KEY):].split("/", 1)
                    tables.setdefault(name, {})[column] = content[key]
        return ReplicationResult(int(about["replication"]), int(about["seed"]), about["outcomes"], tables,
                                 float(about["wall_seconds"]))
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):  # damaged: run it again
        return None
