"""The error raised when runs cannot go where they were asked to, shared by local execution and the
Dask cluster (so neither module imports the other)."""

from __future__ import annotations

INSTALL_HINT = ("pip install -c requirements.lock -e '.[cluster]' (in the Amparo folder, on this machine "
                "and every worker)")


class ExecutionError(Exception):
    """The runs cannot be sent where they were asked to go; the message says why and what to do."""
