"""Headless Chromium driven over the DevTools protocol: open a page, collect its errors, read values.

``--dump-dom`` cannot report console errors, so the test talks to the browser directly: a
websocket to the page target, ``Runtime``/``Log`` events for console errors and uncaught
exceptions, ``Network`` events for any request leaving the machine, ``Runtime.evaluate`` to read
what the charts hold, ``Page.captureScreenshot`` for a picture.

Also a tool: ``python -m tests.publish.browser REPORT.html OUT.png`` saves a screenshot (how
docs/report_screenshot.png is made).
"""

from __future__ import annotations

import base64
import json
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
         "--remote-debugging-port=0", "--remote-allow-origins=*", "--hide-scrollbars", "--mute-audio"]


def chromium_or_skip() -> None:
    """Skip a browser test where Chromium is missing, except in CI, where that is a failure."""
    import os

    import pytest

    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        message = "chromium is not installed (apt-get install -y chromium; .ci/run does this)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class PageRun:
    ready: str | None
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # URLs other than file:, data: and blob:
    values: dict = field(default_factory=dict)


class _DevTools:
    def __init__(self, ws_url: str):
        from websockets.sync.client import connect

        self.ws = connect(ws_url, max_size=None, open_timeout=20).__enter__()
        self.next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, timeout: float = 30, **params) -> dict:
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluating {expression!r}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def close(self) -> None:
        self.ws.__exit__(None, None, None)


def _start_browser(profile: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if proc.poll() is not None:
                break
            continue
        if "DevTools listening on" in line:
            port = line.split("ws://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1]
            return proc, port
    proc.kill()
    raise RuntimeError(f"{CHROMIUM} did not start a DevTools endpoint within 30 s")


def _page_ws(port: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
            pages = [t for t in json.load(r) if t.get("type") == "page"]
        if pages:
            return pages[0]["webSocketDebuggerUrl"]
        time.sleep(0.1)
    raise RuntimeError("no page target in the browser")


def _collect_errors(events: list[dict]) -> tuple[list[str], list[str]]:
    errors, requests = [], []
    for e in events:
        method, p = e["method"], e.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            errors.append(f"exception: {d.get('exception', {}).get('description') or d.get('text')}")
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errors.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
        elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
            errors.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}".strip())
        elif method == "Network.requestWillBeSent":
            url = p["request"]["url"]
            if not url.startswith(("file:", "data:", "blob:", "about:")):
                requests.append(url)
    return errors, requests


class Browser:
    """One headless Chromium for several pages (starting it is the slow part)."""

    def __init__(self):
        self._profile = tempfile.TemporaryDirectory(prefix="funnel-chromium-", ignore_cleanup_errors=True)
        self._proc, self._port = _start_browser(Path(self._profile.name))

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._profile.cleanup()

    def open(self, path: Path, expressions: dict[str, str] | None = None, *, screenshot: Path | None = None,
             width: int = 1280, max_height: int = 4200, scale: float = 0.75, timeout: float = 60) -> PageRun:
        """Load ``path``, wait for ``body[data-ready]``, evaluate ``expressions``, collect errors."""
        dt = _DevTools(_page_ws(self._port))
        try:
            for domain in ("Runtime", "Log", "Page", "Network"):
                dt.call(f"{domain}.enable")
            dt.call("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=False)
            dt.call("Page.navigate", url=Path(path).resolve().as_uri())
            deadline, ready = time.monotonic() + timeout, None
            while time.monotonic() < deadline and ready not in ("1", "error"):
                time.sleep(0.2)
                ready = dt.evaluate("document.body ? document.body.dataset.ready || null : null")
            run = PageRun(ready)
            run.values = {k: dt.evaluate(v) for k, v in (expressions or {}).items()}
            if screenshot is not None:
                size = dt.call("Page.getLayoutMetrics")["cssContentSize"]
                clip = {"x": 0, "y": 0, "width": width, "height": min(size["height"], max_height), "scale": scale}
                shot = dt.call("Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip)
                screenshot.write_bytes(base64.b64decode(shot["data"]))
            time.sleep(0.2)  # let late console events arrive
            dt.evaluate("1")
            run.errors, run.requests = _collect_errors(dt.events)
            return run
        finally:
            dt.close()


    def visit(self, url: str, until: str, *, screenshot: Path | None = None, width: int = 1600, height: int = 1000,
              timeout: float = 60, before_each_poll: str | None = None):
        """Load ``url`` (a live web app), poll the expression ``until`` until it is truthy and return its
        value (or the last falsy one at ``timeout``); then optionally save a viewport screenshot.

        ``before_each_poll`` runs first on every poll (e.g. to dismiss a dialog that appears late).
        """
        dt = _DevTools(_page_ws(self._port))
        try:
            for domain in ("Runtime", "Page"):
                dt.call(f"{domain}.enable")
            dt.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
            dt.call("Page.navigate", url=url)
            deadline, value = time.monotonic() + timeout, None
            while time.monotonic() < deadline:
                time.sleep(0.5)
                if before_each_poll:
                    dt.evaluate(before_each_poll)
                value = dt.evaluate(until)
                if value:
                    break
            if screenshot is not None and value:
                shot = dt.call("Page.captureScreenshot", format="png")
                screenshot.write_bytes(base64.b64decode(shot["data"]))
            return value
        finally:
            dt.close()


def open_page(path: Path, expressions: dict[str, str] | None = None, **kwargs) -> PageRun:
    with Browser() as browser:
        return browser.open(path, expressions, **kwargs)


if __name__ == "__main__":
    report, png = Path(sys.argv[1]), Path(sys.argv[2])
    result = open_page(report, screenshot=png)
    print(f"ready={result.ready} errors={result.errors} requests={result.requests} -> {png} ({png.stat().st_size} bytes)")
