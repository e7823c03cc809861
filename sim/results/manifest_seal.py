"""Sealing a result's manifest, so that `amparo rerun` can tell a result from an edited one.

When a result is finished its manifest records the SHA-256 of every file in the folder (`files`) and
a `seal`: the SHA-256 of the manifest's own content. Editing a table, a chart or the manifest (a
title, a seed list, a commit) afterwards no longer matches. The seal is a checksum, not a signature:
it catches edits and damage, not someone who recomputes it on purpose; that is what running the
result again (`sim.results.reproduction`) is for.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

#: Files that hold the journal of a resumable command rather than results: written in the order
#: runs finish (which depends on the workers), so they are hashed but not compared with a rerun.
JOURNAL_FILES = frozenset({"runs.jsonl"})
#: Manifest keys that describe when, where and how fast a result was made, not what it holds.
CIRCUMSTANCES = frozenset({"created_at", "wall_seconds", "wall_seconds_this_session", "machine", "packages",
                           "git_commit", "amparo_version", "workers", "files", "seal", "complete",
                           "resumed"})
_CHUNK = 1 << 20


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def result_files(folder: Path) -> list[str]:
    """Every regular file of a result (paths relative to it, `/`-separated, sorted), without the
    manifest and hidden temporary files."""
    folder = Path(folder)
    found = []
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in files:
            path = Path(root, name)
            if name.startswith(".") or path.is_symlink() or not path.is_file():
                continue
            relative = path.relative_to(folder).as_posix()
            if relative != "manifest.json":
                found.append(relative)
    return sorted(found)


def _canonical(manifest: dict[str, Any]) -> bytes:
    content = {key: value for key, value in manifest.items() if key != "seal"}
    # through JSON once, so the seal is that of the values as stored (paths as text, tuples as lists)
    stored = json.loads(json.dumps(content, default=str))
    return json.dumps(stored, sort_keys=True, ensure_ascii=True).encode("utf-8")


def manifest_seal(manifest: dict[str, Any]) -> str:
    """The SHA-256 of the manifest's content, the `seal` key left out."""
    return hashlib.sha256(_canonical(manifest)).hexdigest()


def sealed(folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """`manifest` marked complete, with the digest of every file now in `folder` and its seal."""
    files = {name: file_digest(Path(folder, name)) for name in result_files(folder)}
    content = {**manifest, "files": files, "complete": True}
    return {**content, "seal": manifest_seal(content)}


def seal_problems(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """What does not match the seal: the manifest edited, a file changed, missing or added.
    Empty for an intact result. A result written before manifests were sealed gives one line."""
    if "seal" not in manifest or "files" not in manifest:
        return ["the manifest has no seal (the result was written before Amparo sealed its results), "
                "so edits to it or to its files cannot be detected before running"]
    problems = []
    if manifest.get("seal") != manifest_seal(manifest):
        problems.append("manifest.json was edited after the result was written (its seal does not match "
                        "its content)")
    recorded = manifest["files"] if isinstance(manifest["files"], dict) else {}
    present = set(result_files(folder))
    for name in sorted(recorded):
        if name not in present:
            problems.append(f"{name}: is missing")
        elif file_digest(Path(folder, name)) != recorded[name]:
            problems.append(f"{name}: was changed after the result was written (its SHA-256 differs from "
                            "the manifest's)")
    problems.extend(f"{name}: was added after the result was written (not in the manifest)"
                    for name in sorted(present - set(recorded)))
    return problems

