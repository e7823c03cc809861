"""Amparo's command line entry point (`amparo`); the commands live in `sim.commands`."""

from sim.commands import EXIT_INTERNAL_ERROR, EXIT_INTERRUPTED, main

__all__ = ["EXIT_INTERNAL_ERROR", "EXIT_INTERRUPTED", "main"]

if __name__ == "__main__":
    main()
