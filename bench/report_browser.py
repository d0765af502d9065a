#!/usr/bin/env python3
"""Loads an hwnas report in headless Chromium through the DevTools protocol over a pipe
(python3 standard library only) and prints one JSON line: the page's own timings (data-start-ms:
renderers loaded, data-first-ms: the charts in the window drawn, data-all-ms: every chart drawn;
ms since navigation started), charts drawn and failed, and every console message, error and
uncaught exception. Used by bench/report_browser.sh.

  report_browser.py PAGE.html [--all] [--screenshot FILE.png] [--width 1300] [--height 900]
                    [--timeout 60]
Exit 0 when the charts were drawn and the console stayed silent, else 1.
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import time


class Browser:
    def __init__(self):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        os.set_inheritable(to_chrome_r, True)
        os.set_inheritable(from_chrome_w, True)
        # Chromium reads commands on fd 3 and writes answers on fd 4.
        self.process = subprocess.Popen(
            ["chromium", "--headless=new", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
             "--remote-debugging-pipe", "--no-first-run", "about:blank"],
            pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=lambda: (os.dup2(to_chrome_r, 3), os.dup2(from_chrome_w, 4)))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer, self.next_id, self.events = b"", 0, []

    def _read(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, session=None, **params):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]
            self.events.append(answer)

    def close(self):
        try:
            self.call("Browser.close")
        except RuntimeError:
            pass
        self.process.wait(timeout=10)


def messages(events):
    found = []
    for e in events:
        p = e.get("params", {})
        if e.get("method") == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])
            found.append(f"console.{p['type']}: {text}")
        elif e.get("method") == "Runtime.exceptionThrown":
            found.append("exception: " + p["exceptionDetails"].get("exception", {}).get(
                "description", p["exceptionDetails"].get("text", "")))
        elif e.get("method") == "Log.entryAdded":
            found.append(f"log.{p['entry']['level']}: {p['entry']['text']}")
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("page")
    parser.add_argument("--all", action="store_true", help="draw every chart at once (#all)")
    parser.add_argument("--screenshot")
    parser.add_argument("--width", type=int, default=1300)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for the charts")
    args = parser.parse_args()
    browser = Browser()
    target = browser.call("Target.createTarget", url="about:blank")["targetId"]
    session = browser.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
        browser.call(domain, session)
    browser.call("Emulation.setDeviceMetricsOverride", session, width=args.width,
                 height=args.height, deviceScaleFactor=1, mobile=False)
    url = "file://" + os.path.abspath(args.page) + ("#all" if args.all else "")
    browser.call("Page.navigate", session, url=url)
    wanted = "allMs" if args.all else "firstMs"
    deadline = time.time() + args.timeout
    data = {}
    while time.time() < deadline and wanted not in data:
        time.sleep(0.05)
        value = browser.call("Runtime.evaluate", session, returnByValue=True,
                             expression="document.body ? Object.assign({}, document.body.dataset) : {}")
        data = value["result"].get("value") or {}
    timing = browser.call("Runtime.evaluate", session, returnByValue=True, expression=(
        "(n => ({domInteractiveMs: Math.round(n.domInteractive),"
        " loadEventMs: Math.round(n.loadEventEnd)}))(performance.getEntriesByType('navigation')[0])"
    ))["result"].get("value", {})
    if args.screenshot:
        height = browser.call("Page.getLayoutMetrics", session)["cssContentSize"]["height"]
        browser.call("Emulation.setDeviceMetricsOverride", session, width=args.width,
                     height=int(height), deviceScaleFactor=1, mobile=False)
        time.sleep(1)
        shot = browser.call("Page.captureScreenshot", session, format="png")
        with open(args.screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        # The same in parts of at most 3000 pixels, to look at (FILE-1.png, FILE-2.png, ...).
        for part, top in enumerate(range(0, int(height), 3000), 1):
            clip = {"x": 0, "y": top, "width": args.width,
                    "height": min(3000, int(height) - top), "scale": 1}
            shot = browser.call("Page.captureScreenshot", session, format="png", clip=clip)
            with open(args.screenshot[:-4] + f"-{part}.png", "wb") as f:
                f.write(base64.b64decode(shot["data"]))
    time.sleep(0.2)
    browser.call("Runtime.evaluate", session, expression="0")  # collects the last events
    found = messages(browser.events)
    browser.close()
    print(json.dumps({"page": args.page, "all": args.all, **data, **timing, "messages": found}))
    return 0 if wanted in data and not found else 1


if __name__ == "__main__":
    sys.exit(main())
