"""Shared by the browser tests: Debian's headless Chromium driven by Playwright, and free local ports.

The tests skip, saying why, when Playwright or /usr/bin/chromium is missing, unless the environment
variable AMPARO_BROWSER_TESTS is "required" (as in CI), where a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
#: Without the background-networking flags Chromium hangs on a closed network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[1]
#: Where the browser tests leave their screenshots (not committed).
SCREENSHOTS = ROOT / "outputs" / "browser-tests"


def require_browser() -> None:
    """Skip (or fail, when AMPARO_BROWSER_TESTS=required) unless Playwright and Chromium are here."""
    problems = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("Playwright is not installed (pip install -c requirements.lock -e '.[browser]')")
    if not CHROMIUM.exists():
        problems.append(f"{CHROMIUM} is missing (apt-get install chromium)")
    if problems:
        reason = "browser test: " + "; ".join(problems) + "; `make test` installs both"
        if os.environ.get("AMPARO_BROWSER_TESTS") == "required":
            pytest.fail(reason)
        pytest.skip(reason)


@contextlib.contextmanager
def browser_page(width: int = 1400, height: int = 1000) -> Iterator:
    """A fresh page in headless Chromium; the browser is always closed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.errors = errors
            yield page
        finally:
            browser.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(url: str, timeout: float, alive=lambda: True) -> None:
    """Wait until `url` answers 200, failing after `timeout` seconds or when `alive()` turns false."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            pytest.fail(f"the server for {url} stopped before answering")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} did not answer within {timeout:.0f} s")
