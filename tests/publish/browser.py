"""Headless Chromium (Debian's ``chromium``) driven over the DevTools protocol through a pipe (no
WebSocket library, no browser download): open a page, collect failed requests and console errors, and
evaluate JavaScript in it."""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-pipe",
)
ANSWER_LIMIT = 120.0
"""Seconds Chromium may take to answer a command or load a page: only a guard against a hang (its start
and a page take a second or two on a quiet machine, many times that under the shared machine's load)."""


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageVisit:
    """What happened while one page loaded."""

    url: str
    requests: int = 0
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Browser:
    """One headless Chromium with one tab, spoken to over ``--remote-debugging-pipe``."""

    def __init__(self, executable: str, profile: Path, width: int, height: int) -> None:
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def wire() -> None:  # the browser reads commands on fd 3 and writes answers on fd 4
            os.dup2(to_browser_read, 3)
            os.dup2(from_browser_write, 4)

        self.process = subprocess.Popen(
            [
                executable,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,  # fds are not inherited by default (PEP 446): only 3 and 4, made by dup2, are
            preexec_fn=wire,  # noqa: PLW1509  (only dup2 between fork and exec)
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._ids = iter(range(1, 1_000_000))
        self._events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        self.call("Emulation.setDeviceMetricsOverride", metrics, session=True)

    def _send(self, message: dict[str, Any]) -> None:
        os.write(self._to_browser, json.dumps(message).encode("utf-8") + b"\0")

    def _receive(self, deadline: float) -> dict[str, Any]:
        with selectors.DefaultSelector() as selector:
            selector.register(self._from_browser, selectors.EVENT_READ)
            while b"\0" not in self._buffer:
                if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                    raise TimeoutError("no answer from chromium")
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise ConnectionError("chromium closed the pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        answer: dict[str, Any] = json.loads(message)
        return answer

    def call(self, method: str, params: dict[str, Any] | None = None, *, session: bool = False) -> Any:
        """Send a command and wait for its answer (events arriving meanwhile are kept)."""
        number = next(self._ids)
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        self._send(message)
        deadline = time.monotonic() + ANSWER_LIMIT
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == number:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self._events.append(answer)

    def visit(self, url: str, timeout: float = ANSWER_LIMIT) -> PageVisit:
        """Load ``url`` and wait for its load event and a quiet network; what failed on the way."""
        self._events.clear()
        self.call("Page.navigate", {"url": url}, session=True)
        deadline = time.monotonic() + timeout
        loaded = False
        while not loaded:
            event = self._receive(deadline)
            self._events.append(event)
            loaded = event.get("method") == "Page.loadEventFired"
        quiet_until = time.monotonic() + 0.3
        while time.monotonic() < quiet_until:
            try:
                self._events.append(self._receive(quiet_until))
            except TimeoutError:
                break
        return self._summary(url)

    def _summary(self, url: str) -> PageVisit:
        visit = PageVisit(url)
        for event in self._events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Network.requestWillBeSent":
                visit.requests += 1
            elif method == "Network.loadingFailed" and not params.get("canceled"):
                visit.failed.append(f"{params.get('errorText')} ({params.get('type')})")
            elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
                visit.failed.append(f"{params['response']['status']} {params['response']['url']}")
            elif method == "Runtime.exceptionThrown":
                visit.errors.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                visit.errors.append(
                    " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
                )
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                visit.errors.append(f"{params['entry']['text']} {params['entry'].get('url', '')}")
        return visit

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the current page."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=True,
        )
        return result["result"].get("value")

    def close(self) -> None:
        with suppress(ConnectionError, TimeoutError, RuntimeError):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


@contextmanager
def browser(executable: str, profile: Path, width: int = 1400, height: int = 900) -> Iterator[Browser]:
    """A headless Chromium with a fresh profile folder, closed afterwards."""
    instance = Browser(executable, profile, width, height)
    try:
        yield instance
    finally:
        instance.close()
