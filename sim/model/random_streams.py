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
#: Spawn-key marker of the day-by-day streams, kept apart from the whole-run streams.
_DAY_STREAMS = 1


def stream_key(name: str) -> int:
    """A stable integer for a stream name (the same on every machine and Python version)."""
    return zlib.crc32(name.encode("utf-8"))


class RandomStreams:
    """Named `numpy.random.Generator`s spawned from one run seed."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._generators: dict[str, np.random.Generator] = {}
        self._days: dict[str, tuple[np.random.Generator, np.random.Philox, np.ndarray]] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        generator = self._generators.get(name)
        if generator is None:
            sequence = np.random.SeedSequence(self.seed, spawn_key=(stream_key(name),))
            generator = np.random.Generator(np.random.PCG64(sequence))
            self._generators[name] = generator
        return generator

    def for_day(self, name: str, day: int, layer: int = 0) -> np.random.Generator:
        """The generator of stream `name` on day `day` (and in `layer`, see
        `sim.model.stages.origin`): what one day or layer draws never shifts what another draws,
        whatever a scenario changes.

        Each stream is a counter-based Philox generator keyed by (run seed, stream name); day d of
        layer k starts at counter d * 2**128 + k * 2**64, so days and layers are disjoint blocks of
        one stream (a block holds 2**66 numbers, far more than a day draws). Moving the counter
        is far cheaper than seeding a new generator three times a simulated day. The generator
        returned is reused: draw today's numbers before asking for another day of the same stream.
        """
        day_stream = self._days.get(name)
        if day_stream is None:
            sequence = np.random.SeedSequence(self.seed, spawn_key=(stream_key(name), _DAY_STREAMS))
            bits = np.random.Philox(key=sequence.generate_state(2, dtype=np.uint64))
            day_stream = self._days[name] = (np.random.Generator(bits), bits, bits.state["state"]["key"])
        generator, bits, key = day_stream
        bits.state = {"bit_generator": "Philox",
                      "state": {"counter": np.array([0, layer, day, 0], dtype=np.uint64), "key": key},
                      "buffer": np.zeros(4, dtype=np.uint64), "buffer_pos": 4, "has_uint32": 0,
                      "uinteger": 0}
        return generator

    def keyed(self, name: str, first: np.ndarray, second: np.ndarray, n: int) -> np.ndarray:
        """`n` uniform draws in [0, 1) for each key (`first[i]`, `second[i]`) of stream `name`:
        the same numbers for the same key whoever asks, in whatever order or batch (for draws that
        belong to one child's crossing, whichever path of the model reaches them first).

        Each key seeds a SplitMix64 sequence: its state is a mix of (run seed, stream, key), and
        draw j is SplitMix64's j-th output from it (top 53 bits)."""
        base = np.uint64(np.random.SeedSequence(self.seed, spawn_key=(stream_key(name), 2))
                         .generate_state(1, dtype=np.uint64)[0])
        with np.errstate(over="ignore"):
            key = _mix(np.asarray(first, dtype=np.uint64) * _GOLDEN + base)
            state = _mix(key ^ (np.asarray(second, dtype=np.uint64) * _MIX1 + _GOLDEN))
            steps = np.arange(1, n + 1, dtype=np.uint64) * _GOLDEN
            words = _mix(state[:, None] + steps[None, :])
        return (words >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


#: SplitMix64's constants (Steele, Lea and Flood 2014): its increment and its output mix.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's output function: a bijection of 64-bit words that mixes every bit."""
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def replication_seed(base_seed: int, replication: int) -> int:
    """The seed of replication `replication` of a run whose base seed is `base_seed`.

    Every scenario compared with the same base seed gets the same seed for replication i:
    that is the common-random-numbers design.
    """
    sequence = np.random.SeedSequence(int(base_seed), spawn_key=(int(replication),))
    return int(sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
