"""A headless Chromium driven through the DevTools protocol: open pages, evaluate script, press keys, take
screenshots. Offline: every host name but the loopback addresses resolves to nothing."""
import base64
import json
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
import websocket


def chromium():
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return name
    pytest.fail("chromium is not installed: scripts/test.sh installs Debian's package")


class DevTools:
    def __init__(self, profile: Path, width: int = 1280, height: int = 900, mobile: bool = False):
        self.process = subprocess.Popen(
            [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--remote-debugging-port=0",
             f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in self.process.stderr:
            match = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if match:
                break
        else:
            pytest.fail("Chromium did not open its DevTools port")
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{match.group(1)}/json"))
        target = next(target for target in targets if target["type"] == "page")
        self.socket = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=30)
        self.counter = 0
        self.events = []
        self.call("Page.enable")
        self.resize(width, height, mobile)

    def resize(self, width: int, height: int, mobile: bool = False):
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=mobile)

    def open(self, url: str, ready: str = "document.readyState === 'complete'"):
        """Navigates from the page already connected to (so that no navigation destroys the context a later
        evaluation runs in) and waits for its load event, then for `ready`."""
        self.events = []
        self.call("Page.navigate", url=url)
        while "Page.loadEventFired" not in self.events:
            self.events.append(json.loads(self.socket.recv()).get("method"))
        self.wait_for(ready)

    def call(self, method: str, **params):
        self.counter += 1
        self.socket.send(json.dumps({"id": self.counter, "method": method, "params": params}))
        while True:
            answer = json.loads(self.socket.recv())
            if "method" in answer:
                self.events.append(answer["method"])
            if answer.get("id") == self.counter:
                assert "error" not in answer, answer
                return answer["result"]

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def wait_for(self, expression: str, frames: int = 200):
        """Waits, frame by frame, until `expression` is true."""
        for _ in range(frames):
            if self.evaluate(f"Boolean({expression})"):
                return
            self.call("Runtime.evaluate", expression="new Promise(r => requestAnimationFrame(r))", awaitPromise=True)
        pytest.fail(f"never true: {expression}")

    def wait_until(self, expression: str, seconds: float):
        """Waits up to `seconds` of page time for `expression`; returns how long it took (the page's clock)."""
        waited = self.evaluate(f"""new Promise(resolve => {{
            const start = performance.now();
            const check = () => {{
                if ({expression}) resolve(performance.now() - start);
                else if (performance.now() - start > {seconds * 1000}) resolve(-1);
                else setTimeout(check, 20);
            }};
            check();
        }})""")
        assert waited >= 0, f"not within {seconds} s: {expression}"
        return waited / 1000

    def press(self, key: str, code: int):
        text = {"Enter": "\r", "Tab": "\t"}.get(key, "")
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=kind, key=key, code=key, windowsVirtualKeyCode=code,
                      nativeVirtualKeyCode=code, text=text if kind == "keyDown" else "")

    def screenshot(self, path: Path, full_page: bool = True):
        """A PNG of the page, whole when `full_page`."""
        params = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            metrics = self.call("Page.getLayoutMetrics")
            size = metrics["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        data = self.call("Page.captureScreenshot", **params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self):
        self.socket.close()
        self.process.kill()
        self.process.wait()
