"""Ctrl-C and SIGTERM at any moment of a command: exit 130 (Ctrl-C) or 143 (SIGTERM) with one
message, after the same clean-up (staging folders removed, worker processes stopped).

SIGTERM is raised in the main process as `Terminated`, a kind of KeyboardInterrupt, so that every
place that cleans up after Ctrl-C cleans up after it too. click would print "Aborted!" and exit 1
for an interrupt outside a command's own guard (while parsing options, or before the runs start);
`AmparoGroup` catches those first.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any, NoReturn

import click

EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143


class Terminated(KeyboardInterrupt):
    """SIGTERM was received."""


def _raise_terminated(_number: int, _frame: object) -> None:
    raise Terminated()


@contextlib.contextmanager
def signals_as_exceptions() -> Iterator[None]:
    """Within: Ctrl-C raises KeyboardInterrupt and SIGTERM raises `Terminated` (only the main thread
    can set handlers; elsewhere nothing changes). The previous handlers come back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        # cli.py's handlers of the start-up would say "nothing was written": Python's come back instead
        defaults = signal.default_int_handler, signal.SIG_DFL
        for number, handler, default in zip((signal.SIGINT, signal.SIGTERM), previous, defaults, strict=True):
            signal.signal(number, default if getattr(handler, "only_while_starting", False) else handler)


def exit_interrupted(interrupt: KeyboardInterrupt, what_was_kept: str) -> NoReturn:
    """Say that the command stopped and what was kept, and exit 130 (Ctrl-C) or 143 (SIGTERM)."""
    terminated = isinstance(interrupt, Terminated)
    click.echo(f"\n{'Terminated' if terminated else 'Interrupted'}: {what_was_kept}.", err=True)
    sys.exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)


class AmparoGroup(click.Group):
    """A click group on which Ctrl-C and SIGTERM exit 130 and 143 at any moment, never "Aborted!"."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with signals_as_exceptions():
            return super().main(*args, **kwargs)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt as interrupt:
            exit_interrupted(interrupt, "no result was written")

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as interrupt:
            exit_interrupted(interrupt, "no result was written")
