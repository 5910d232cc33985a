#!/usr/bin/env python3
"""Loads the reporting dashboard in headless Chromium and reports what it shows.

    dashboard_probe.py URL [--timeout-ms N] [--chromium PATH] [--window-size W,H]
                           [--screenshot FILE.png]

Prints one JSON object to stdout:

    {"ready": bool,            # body[data-ready] became "1" before the deadline
     "errors": int,            # body[data-errors] (failed fetches, uncaught errors) at the end
     "console_errors": [str],  # console.error/warn/assert, uncaught exceptions and Chromium's own
                               # error/warning log entries (e.g. failed resource loads), in order
     "metrics": {name: {"text": str, "value": str|null}},   # every [data-metric] element
     "duplicate_metrics": [name],                            # names seen more than once
     "url": str, "elapsed_ms": int}

Exit 0 when Chromium ran (the caller judges the result, also when the page never became ready),
2 with a message on stderr when Chromium could not be started or driven.

How: Chromium runs with --remote-debugging-pipe, i.e. the DevTools protocol as NUL-terminated
JSON messages on its fds 3 (commands in) and 4 (replies and events out). The probe opens a page
target, enables Runtime and Log (so console calls, uncaught exceptions and Chromium's log entries
arrive as events), navigates, then polls body[data-ready] with Runtime.evaluate until it is "1"
or the deadline passes: real time, real network, no fixed sleeps. Events are delivered in order
with the replies, so every console message logged before the page became ready has been read
when the poll sees ready (verified with a deliberately broken page: console.error/warn, a throw at
load, a throw in a timer, an unhandled rejection and a 404 fetch all appear).

Cleanup: Chromium runs in its own process group, with HOME/XDG dirs and the profile in a fresh
temp dir, and a marker variable in its environment. On every exit path (ready, timeout, errors,
SIGTERM/Ctrl-C) the probe asks the browser to close, kills the process group, kills any process
still carrying the marker (Chromium's crashpad handlers start their own sessions) and, being a
child subreaper, reaps every orphan itself; then the temp dir is removed. Python 3 stdlib only.
"""

import argparse
import base64
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Collects the page's [data-metric] elements, in document order.
METRICS_JS = r"""
(() => {
  const out = {}, dups = [];
  for (const el of document.querySelectorAll('[data-metric]')) {
    const name = el.getAttribute('data-metric');
    if (Object.prototype.hasOwnProperty.call(out, name)) { dups.push(name); continue; }
    out[name] = {text: (el.textContent || '').replace(/\s+/g, ' ').trim(),
                 value: el.getAttribute('data-value')};
  }
  const b = document.body;
  return JSON.stringify({metrics: out, duplicates: dups,
                         ready: !!b && b.dataset.ready === '1',
                         errors: b ? (parseInt(b.dataset.errors, 10) || 0) : 0});
})()
"""

READY_JS = "(document.body && document.body.dataset.ready === '1') ? 'ready' : document.readyState"


class ProbeError(Exception):
    """Chromium could not be started or driven (exit 2)."""


class Timeout(Exception):
    """The deadline passed while waiting for Chromium."""


class Browser:
    """A headless Chromium driven over the DevTools pipe."""

    def __init__(self, binary, window_size):
        self.profile = tempfile.mkdtemp(prefix="dashboard-probe-")
        self.proc = None
        self.buf = b""
        self.next_id = 0
        self.events = []  # (session_id, method, params) not yet consumed
        self.stderr_path = os.path.join(self.profile, "chromium.stderr")
        # Parent writes commands into cmd_w, Chromium reads them on fd 3;
        # Chromium writes replies on fd 4, the parent reads resp_r.
        cmd_r, self.cmd_w = os.pipe()
        self.resp_r, resp_w = os.pipe()
        args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--remote-debugging-pipe", "--user-data-dir=" + self.profile,
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                "--disable-backgrounding-occluded-windows", "--password-store=basic",
                "--use-mock-keychain", "--disable-crash-reporter", "--disable-breakpad",
                "--window-size=" + window_size, "about:blank"]

        # Chromium wants the pipe exactly on fds 3 and 4: move them there in the child (via fds
        # >= 10 first, in case the pipe ends themselves are 3 or 4). close_fds stays off because
        # it would close 3 and 4 after this runs; every fd Python opened is close-on-exec anyway
        # (PEP 446), only the dup2'd 3 and 4 are inherited.
        def move_fds():
            a = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(resp_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.close(a)
            os.close(b)

        # Everything Chromium writes (profile, crashpad database, caches) stays in the temp dir,
        # and every process it starts carries a marker in its environment: the crashpad handlers
        # start their own sessions, so the process group alone does not reach them.
        self.marker = "%d-%s" % (os.getpid(), os.urandom(8).hex())
        env = dict(os.environ)
        env.update({"HOME": self.profile, "XDG_CONFIG_HOME": os.path.join(self.profile, "config"),
                    "XDG_CACHE_HOME": os.path.join(self.profile, "cache"),
                    "DASHBOARD_PROBE_MARKER": self.marker})
        self.stderr_file = open(self.stderr_path, "wb")
        try:
            self.proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.stderr_file,
                env=env, preexec_fn=move_fds, start_new_session=True, close_fds=False)
        except OSError as e:
            self.close()
            raise ProbeError("cannot start %s: %s" % (binary, e))
        finally:
            os.close(cmd_r)
            os.close(resp_w)

    # --- transport

    def _read_message(self, deadline):
        while True:
            nul = self.buf.find(b"\0")
            if nul >= 0:
                raw, self.buf = self.buf[:nul], self.buf[nul + 1:]
                return json.loads(raw.decode("utf-8", "replace"))
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout()
            ready, _, _ = select.select([self.resp_r], [], [], min(left, 0.5))
            if not ready:
                if self.proc.poll() is not None:
                    raise ProbeError("chromium exited with status %s%s" % (
                        self.proc.returncode, self._stderr_tail()))
                continue
            chunk = os.read(self.resp_r, 1 << 16)
            if not chunk:
                raise ProbeError("chromium closed the DevTools pipe%s" % self._stderr_tail())
            self.buf += chunk

    def send(self, method, params=None, session=None, deadline=None):
        """Sends a command and returns its result; events read meanwhile are queued."""
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        try:
            while data:
                n = os.write(self.cmd_w, data)
                data = data[n:]
        except OSError as e:
            raise ProbeError("cannot write to chromium: %s" % e)
        if deadline is None:
            deadline = time.monotonic() + 30
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise ProbeError("%s failed: %s" % (method, m["error"].get("message", m["error"])))
                return m.get("result", {})
            if "method" in m:
                self.events.append((m.get("sessionId"), m["method"], m.get("params", {})))

    def _stderr_tail(self):
        try:
            with open(self.stderr_path, "rb") as f:
                tail = f.read()[-1500:].decode("utf-8", "replace").strip()
            return (": " + tail) if tail else ""
        except OSError:
            return ""

    # --- shutdown: always kill and reap the whole process group, then anything else we started

    def _marked_pids(self):
        needle = ("DASHBOARD_PROBE_MARKER=" + getattr(self, "marker", "-")).encode() + b"\0"
        pids = []
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) == os.getpid():
                continue
            try:
                with open("/proc/%s/environ" % name, "rb") as f:
                    if needle in f.read() + b"\0":
                        pids.append(int(name))
            except OSError:
                continue  # gone, a zombie, or not ours to read
        return pids

    @staticmethod
    def _reap_orphans():
        """Reaps descendants re-parented to the probe (a child subreaper, see main)."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                time.sleep(0.05)

    def _kill_marked(self):
        if not getattr(self, "marker", None) or not os.path.isdir("/proc"):
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pids = self._marked_pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.1)

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.write(self.cmd_w, json.dumps({"id": 999999, "method": "Browser.close"}).encode() + b"\0")
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if self.proc is not None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.proc.pid, sig)  # the group: zygotes, renderers, utilities
                except (ProcessLookupError, PermissionError):
                    break
                if sig == signal.SIGTERM:
                    time.sleep(0.2)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self._kill_marked()
        self._reap_orphans()
        for fd in ("cmd_w", "resp_r"):
            try:
                os.close(getattr(self, fd))
            except (AttributeError, OSError):
                pass
            setattr(self, fd, -1)
        try:
            self.stderr_file.close()
        except AttributeError:
            pass
        shutil.rmtree(self.profile, ignore_errors=True)


def become_subreaper():
    """Orphaned descendants (Chromium's crashpad handlers, zygote children) are re-parented to
    this process instead of init, so the probe reaps them itself. Linux only; harmless elsewhere."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def find_chromium(explicit):
    if explicit:
        return explicit if (os.path.isfile(explicit) or shutil.which(explicit)) else None
    env = os.environ.get("CHROMIUM")
    if env:
        return env
    for name in CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def describe_remote_object(o):
    if "value" in o:
        v = o["value"]
        return v if isinstance(v, str) else json.dumps(v)
    if "unserializableValue" in o:
        return o["unserializableValue"]
    if o.get("subtype") == "error":  # the description is the stack: keep "TypeError: message"
        return (o.get("description") or "Error").splitlines()[0]
    preview = o.get("preview")
    if preview and preview.get("properties") is not None:
        items = ", ".join(("%s: %s" % (p.get("name"), p.get("value", p.get("type", ""))))
                          if preview.get("subtype") != "array" else str(p.get("value", ""))
                          for p in preview["properties"])
        more = ", …" if preview.get("overflow") else ""
        return ("[%s%s]" if preview.get("subtype") == "array" else "{%s%s}") % (items, more)
    return o.get("description") or o.get("className") or o.get("type", "")


def console_messages(events, session):
    """Console errors/warnings, uncaught exceptions and Chromium's error/warning log entries."""
    out = []
    for sid, method, p in events:
        if sid != session:
            continue
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            text = " ".join(describe_remote_object(a) for a in p.get("args", []))
            frames = (p.get("stackTrace") or {}).get("callFrames") or []
            where = ""
            if frames:
                f = frames[0]
                where = " (%s:%s)" % (f.get("url", ""), f.get("lineNumber", 0) + 1)
            out.append("console.%s: %s%s" % (p["type"], text, where))
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            desc = (d.get("exception") or {}).get("description") or d.get("text", "exception")
            where = " (%s:%s)" % (d.get("url", ""), d.get("lineNumber", 0) + 1) if d.get("url") else ""
            out.append("uncaught: %s%s" % (desc.splitlines()[0] if desc else "", where))
        elif method == "Log.entryAdded":
            e = p.get("entry", {})
            if e.get("level") in ("error", "warning"):
                where = (" (%s)" % e["url"]) if e.get("url") and e.get("url") not in e.get("text", "") else ""
                out.append("chromium[%s] %s: %s%s" % (e.get("source", "other"), e["level"],
                                                        e.get("text", ""), where))
    return out


def probe(url, timeout_ms, binary, window_size, screenshot=None):
    started = time.monotonic()
    deadline = started + timeout_ms / 1000.0
    result = {"url": url, "ready": False, "errors": 0, "console_errors": [], "metrics": {},
              "duplicate_metrics": []}
    browser = Browser(binary, window_size)
    try:
        # Startup gets its own allowance: a cold Chromium on a slow machine can take a while.
        setup_deadline = max(deadline, time.monotonic() + 60)
        target = browser.send("Target.createTarget", {"url": "about:blank"},
                              deadline=setup_deadline)["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                               deadline=setup_deadline)["sessionId"]
        for method in ("Runtime.enable", "Log.enable", "Page.enable"):
            browser.send(method, session=session, deadline=setup_deadline)
        try:
            nav = browser.send("Page.navigate", {"url": url}, session=session,
                               deadline=max(deadline, time.monotonic() + 5))
            nav_error = nav.get("errorText")
        except Timeout:
            nav_error = "the page did not load before the deadline"
        if nav_error:
            result["console_errors"].append("navigation: %s" % nav_error)
        else:
            try:
                while True:
                    try:
                        r = browser.send("Runtime.evaluate", {"expression": READY_JS, "returnByValue": True},
                                         session=session, deadline=deadline)
                    except ProbeError:
                        # e.g. "Execution context was destroyed" while the page navigates on
                        # (a redirect): keep polling unless Chromium itself is gone.
                        if browser.proc.poll() is not None:
                            raise
                        r = {}
                    if (r.get("result") or {}).get("value") == "ready":
                        break
                    if time.monotonic() >= deadline:
                        break
                    time.sleep(0.1)  # poll interval, not a wait for the page
            except Timeout:
                pass
        # Collect what is there, ready or not (a short allowance of its own after a timeout).
        collect_deadline = time.monotonic() + 15
        try:
            r = browser.send("Runtime.evaluate", {"expression": METRICS_JS, "returnByValue": True},
                             session=session, deadline=collect_deadline)
            if "exceptionDetails" not in r:
                data = json.loads((r.get("result") or {}).get("value") or "{}")
                result["ready"] = bool(data.get("ready"))
                result["errors"] = int(data.get("errors") or 0)
                result["metrics"] = data.get("metrics") or {}
                result["duplicate_metrics"] = data.get("duplicates") or []
        except Timeout:
            result["console_errors"].append("probe: the page did not answer within 15 s after the deadline")
        except ProbeError as e:
            if browser.proc.poll() is not None:
                raise
            result["console_errors"].append("probe: reading the page failed: %s" % e)
        if screenshot:
            try:
                size = browser.send("Page.getLayoutMetrics", session=session,
                                    deadline=time.monotonic() + 30).get("cssContentSize", {})
                clip = {"x": 0, "y": 0, "width": size.get("width", 1400),
                        "height": size.get("height", 2200), "scale": 1}
                shot = browser.send("Page.captureScreenshot", {"format": "png", "clip": clip,
                                                               "captureBeyondViewport": True},
                                    session=session, deadline=time.monotonic() + 30)
                with open(screenshot, "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
            except (Timeout, ProbeError, OSError, KeyError) as e:
                result["console_errors"].append("probe: screenshot failed: %s" % e)
        result["console_errors"] = result["console_errors"] + console_messages(browser.events, session)
    except Timeout:
        raise ProbeError("chromium did not answer the DevTools protocol in time%s" % browser._stderr_tail())
    finally:
        browser.close()
    result["elapsed_ms"] = int((time.monotonic() - started) * 1000)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url")
    ap.add_argument("--timeout-ms", type=int, default=60000,
                    help="how long to wait for body[data-ready] (default 60000)")
    ap.add_argument("--chromium", default="", help="the browser binary (default: $CHROMIUM or chromium)")
    ap.add_argument("--window-size", default="1400,2200")
    ap.add_argument("--screenshot", default="", help="also save a PNG of the page (after ready)")
    args = ap.parse_args()

    binary = find_chromium(args.chromium)
    if not binary:
        print("dashboard_probe: chromium not found (apt-get install -y --no-install-recommends "
              "chromium, or set $CHROMIUM)", file=sys.stderr)
        return 2
    become_subreaper()
    # A SIGTERM to the probe unwinds through the finally blocks, so Chromium is still reaped.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        result = probe(args.url, args.timeout_ms, binary, args.window_size, args.screenshot or None)
    except ProbeError as e:
        print("dashboard_probe: %s" % e, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dashboard_probe: interrupted", file=sys.stderr)
        return 2
    json.dump(result, sys.stdout, indent=1, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
