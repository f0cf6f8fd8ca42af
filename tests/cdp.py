"""Debian's headless Chromium driven over the DevTools protocol, as a person uses a page:
type into fields, click buttons and links, follow the navigation, download a file.

The protocol runs over a pipe (`--remote-debugging-pipe`: Chromium reads commands on
file descriptor 3 and answers on 4, JSON messages ended by NUL), so no WebDriver, no
Playwright and no extra Python package is needed: only the browser. Every wait has a
generous deadline that fails the test with what was awaited; none measures time.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.browser import CHROMIUM_FLAGS, chromium

DEADLINE = 60.0


class BrowserError(AssertionError):
    pass


class Chromium:
    """One headless browser with one tab; `with Chromium(downloads) as browser: ...`."""

    def __init__(self, downloads: Path) -> None:
        self.downloads = downloads
        # Chromium's helper processes may still write the profile for a moment after the
        # browser is killed: a file appearing during the cleanup is not a test failure.
        self._profile = tempfile.TemporaryDirectory(ignore_cleanup_errors=True)
        self._next_id = 0
        self._answers: dict[int, dict[str, Any]] = {}
        self._events: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._session = ""
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Chromium:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def fds() -> None:  # in the child: the pipe ends on the descriptors Chromium reads
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self._process = subprocess.Popen(
            [chromium(), *CHROMIUM_FLAGS, "--remote-debugging-pipe",
             f"--user-data-dir={self._profile.name}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=fds,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(to_browser_r)
        os.close(from_browser_w)
        threading.Thread(target=self._read, daemon=True).start()
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self._session = self.send("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.downloads.mkdir(parents=True, exist_ok=True)
        self.send("Browser.setDownloadBehavior", behavior="allowAndName",
                  downloadPath=str(self.downloads), eventsEnabled=True)  # fmt: skip
        return self

    def __exit__(self, *_: object) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
        os.close(self._to_browser)
        self._profile.cleanup()

    # -- the protocol ---------------------------------------------------------------
    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            with self._changed:
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._answers[message["id"]] = message
                    else:
                        self._events.append(message)
                self._changed.notify_all()

    def _wait(self, ready: Callable[[], Any], what: str) -> Any:
        with self._changed:
            found = self._changed.wait_for(ready, timeout=DEADLINE)
        if not found:
            raise BrowserError(f"the browser did not {what}")
        return found

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        ident = self._next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        answer = self._wait(lambda: self._answers.pop(ident, None), f"answer {method}")
        if "error" in answer:
            raise BrowserError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """A command to the tab."""
        return self.send(method, self._session, **params)

    def _event_count(self, method: str) -> int:
        with self._changed:
            return sum(event.get("method") == method for event in self._events)

    # -- what a person does -----------------------------------------------------------
    def evaluate(self, expression: str) -> Any:
        answer = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)  # fmt: skip
        if "exceptionDetails" in answer:
            raise BrowserError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def _after_load(self, action: Callable[[], object]) -> None:
        loads = self._event_count("Page.loadEventFired")
        action()
        # The condition's lock is re-entrant: _event_count may take it inside the wait.
        self._wait(lambda: self._event_count("Page.loadEventFired") > loads, "load the next page")

    def open(self, url: str) -> None:
        self._after_load(lambda: self.call("Page.navigate", url=url))

    def fill(self, selector: str, value: str) -> None:
        found = self.evaluate(
            f"(() => {{ const field = document.querySelector({json.dumps(selector)});"
            f" if (!field) return false; field.value = {json.dumps(value)}; return true; }})()"
        )
        if not found:
            raise BrowserError(f"no field {selector} on {self.url}")

    def click(self, selector: str) -> None:
        """Click and wait for the page it leads to."""
        script = f"document.querySelector({json.dumps(selector)})"
        if not self.evaluate(f"!!{script}"):
            raise BrowserError(f"nothing to click at {selector} on {self.url}")
        self._after_load(lambda: self.evaluate(f"{script}.click()"))

    def download(self, selector: str) -> Path:
        """Click a download link; the file the browser saved."""
        started = self._event_count("Browser.downloadWillBegin")
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")

        def done() -> dict[str, Any] | None:
            begun = [e for e in self._events if e.get("method") == "Browser.downloadWillBegin"]
            if len(begun) <= started:
                return None
            guid = begun[started]["params"]["guid"]
            for event in self._events:
                params = event.get("params", {})
                if event.get("method") == "Browser.downloadProgress" and params.get("guid") == guid:
                    if params.get("state") == "completed":
                        return {"guid": guid}
                    if params.get("state") == "canceled":
                        raise BrowserError("the download was cancelled")
            return None

        guid = self._wait(done, "finish the download")["guid"]
        return self.downloads / guid

    @property
    def url(self) -> str:
        return str(self.evaluate("location.href"))

    def text(self, selector: str = "body") -> str:
        return str(self.evaluate(f"document.querySelector({json.dumps(selector)}).innerText"))
