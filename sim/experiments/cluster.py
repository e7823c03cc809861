"""Runs on a Dask cluster: connect to a running scheduler and hand its workers the runs.

Imported only when a scheduler address is given (Dask is the optional `cluster` extra). Dask does
the distributed work: it places tasks on workers, and when a worker dies it runs that worker's
unfinished tasks again elsewhere (up to `distributed.scheduler.allowed-failures` times). Amparo
only checks, before the first run, that every worker runs the same model code and libraries as
this machine, because that, with each run's own seed, is what makes results identical wherever a
run executes.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from distributed import Client, KilledWorker

from sim.experiments.execution_error import INSTALL_HINT, ExecutionError

#: Libraries whose version can change a number; a worker must have the same as this machine.
NUMERIC_LIBRARIES = ("numpy", "scipy", "mesa")
#: Assumption: a cluster that has a scheduler but no worker after this long is misconfigured.
WORKER_WAIT_SECONDS = 60.0


def code_fingerprint() -> str:
    """A short hash of the model's source files and the numeric libraries' versions."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]  # all of sim/
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    for name in NUMERIC_LIBRARIES:
        digest.update(f"{name}=={metadata.version(name)}".encode())
    return digest.hexdigest()[:12]


def mismatched_workers(fingerprints: dict[str, str], expected: str) -> list[str]:
    """The workers (by address) whose code fingerprint differs from `expected`."""
    return sorted(address for address, fingerprint in fingerprints.items() if fingerprint != expected)


class ClusterExecutor(Executor):
    """A `concurrent.futures` executor on a Dask client; `slots` is the cluster's worker threads now."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._executor = client.get_executor(pure=False)

    @property
    def slots(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait and not cancel_futures)


@contextlib.contextmanager
def connect(address: str, timeout: float) -> Iterator[ClusterExecutor]:
    """Connect to the scheduler at `address`, check its workers, and close the client afterwards
    (which cancels whatever this client still had queued on the cluster)."""
    def unreachable(error: Exception) -> ExecutionError:
        return ExecutionError(f"--scheduler {address}: no Dask scheduler answered ({error}); start one "
                              "with `dask scheduler` and give its address, like tcp://HOST:8786")

    parts = urlsplit(address)
    if parts.scheme == "tcp":  # a quick, clean refusal before Dask's client starts its threads
        try:
            socket.create_connection((parts.hostname, parts.port), timeout=timeout).close()
        except OSError as error:
            raise unreachable(error) from None
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, ValueError, TypeError) as error:
        raise unreachable(error) from None
    try:
        try:
            client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
        except TimeoutError:
            raise ExecutionError(f"--scheduler {address}: no worker joined within "
                                 f"{WORKER_WAIT_SECONDS:g} s; start workers with "
                                 f"`dask worker {address}`") from None
        expected = code_fingerprint()
        try:
            different = mismatched_workers(client.run(code_fingerprint), expected)
        except ImportError as error:
            raise ExecutionError(f"--scheduler {address}: a worker cannot import Amparo ({error}); "
                                 f"install it on every worker machine with {INSTALL_HINT}") from None
        if different:
            raise ExecutionError(f"--scheduler {address}: worker(s) {', '.join(different)} run different "
                                 "Amparo code or numpy/scipy/mesa versions than this machine; install "
                                 "the same commit and requirements.lock on every machine")
        try:
            yield ClusterExecutor(client)
        except KilledWorker as error:
            raise ExecutionError(f"--scheduler {address}: the cluster gave up on a task whose workers kept "
                                 f"dying ({error}); look at the workers' logs and memory. Runs finished so "
                                 "far are kept (a sweep continues with --resume)") from None
    finally:
        client.close()
