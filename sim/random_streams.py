"""One seed per run, split into named, independent random streams.

Each stream is derived from the run seed and the stream's name alone, so adding a stream, or a
policy that draws more from one stream, never shifts the numbers another stream produces. This is
what makes common random numbers work across scenarios: replication i of every scenario sees the
same departures and the same children.
"""

from __future__ import annotations

import zlib

import numpy as np

#: The streams the model draws from, one per kind of chance.
STREAM_NAMES = ("departures", "children north", "children south")


def stream_key(name: str) -> int:
    """A stable integer for a stream name (the same on every machine and Python version)."""
    return zlib.crc32(name.encode("utf-8"))


class RandomStreams:
    """Named `numpy.random.Generator`s spawned from one run seed."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._generators: dict[str, np.random.Generator] = {}
        self._keys: dict[str, int] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        generator = self._generators.get(name)
        if generator is None:
            sequence = np.random.SeedSequence(self.seed, spawn_key=(stream_key(name),))
            generator = np.random.Generator(np.random.PCG64(sequence))
            self._generators[name] = generator
        return generator

    def for_day(self, name: str, day: int) -> np.random.Generator:
        """A fresh generator for stream `name` on day `day`: what one day draws never shifts
        what another day draws, whatever a scenario changes."""
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = stream_key(name)
        sequence = np.random.SeedSequence(self.seed, spawn_key=(key, int(day)))
        return np.random.Generator(np.random.PCG64(sequence))


def replication_seed(base_seed: int, replication: int) -> int:
    """The seed of replication `replication` of a run whose base seed is `base_seed`.

    Every scenario compared with the same base seed gets the same seed for replication i:
    that is the common-random-numbers design.
    """
    sequence = np.random.SeedSequence(int(base_seed), spawn_key=(int(replication),))
    return int(sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
