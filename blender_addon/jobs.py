"""Long work off the UI thread. A worker thread runs an engine function that never touches bpy; it
posts (kind, payload) messages on a queue; `drain()` runs on Blender's main thread (from
bpy.app.timers, or inline in background mode) and is the only place results reach bpy.

One job at a time. Its state (progress, message, error) is plain Python read by the panel."""
from __future__ import annotations

import queue
import threading
import time
import traceback
from typing import Callable

import bpy

POLL_S = 0.1


class Job:
    """work(emit, cancelled) -> result runs in a thread (or inline); on_message(kind, payload) runs on
    the main thread for every message the work emits; on_finish(job) once at the end."""

    def __init__(self, label: str, work: Callable, on_message: Callable, on_finish: Callable | None = None):
        self.label = label
        self.work, self.on_message, self.on_finish = work, on_message, on_finish
        self.queue: queue.Queue = queue.Queue()
        self.cancel_event = threading.Event()
        self.done, self.total, self.message = 0, 0, "starting"
        self.state = "running"  # running | finished | cancelled | failed
        self.error: str | None = None
        self.result = None
        self.started = time.perf_counter()
        self.seconds = 0.0
        self.thread: threading.Thread | None = None

    # --- worker side (no bpy here)
    def _emit(self, kind: str, payload) -> None:
        self.queue.put((kind, payload))

    def _run(self) -> None:
        from .engine import JobCancelled
        try:
            result = self.work(self._emit, self.cancel_event.is_set)
            self.queue.put(("_done", result))
        except JobCancelled as exc:
            self.queue.put(("_cancelled", str(exc)))
        except (ValueError, OSError) as exc:  # ModelError, ExportError, file errors: the message says what to do
            self.queue.put(("_failed", str(exc)))
        except Exception as exc:  # a bug: keep the traceback in the console, a line in the UI
            traceback.print_exc()
            self.queue.put(("_failed", f"{type(exc).__name__}: {exc} (see the system console)"))

    # --- main thread
    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    def cancel(self) -> None:
        self.cancel_event.set()
        self.message = "cancelling..."

    def drain(self) -> None:
        """Apply every queued message on the main thread."""
        while True:
            try:
                kind, payload = self.queue.get_nowait()
            except queue.Empty:
                return
            if self.state == "failed":
                # a failure building objects (_call) stands: the worker's later "cancelled" or "done" must not
                # replace it, nor may its queued assets still be placed
                if kind in ("_done", "_cancelled", "_failed"):
                    self.seconds = time.perf_counter() - self.started
                    return
                continue
            if kind == "progress":
                self.done, self.total, self.message = payload
            elif kind in ("_done", "_cancelled", "_failed"):
                self.seconds = time.perf_counter() - self.started
                self.state = {"_done": "finished", "_cancelled": "cancelled", "_failed": "failed"}[kind]
                if kind == "_done":
                    self.result = payload
                else:
                    self.error = payload if kind == "_failed" else None
                    self.message = payload
                if self.on_finish:
                    self._call(self.on_finish, self)
                return
            else:
                self._call(self.on_message, kind, payload)

    def _call(self, fn, *args) -> None:
        try:
            fn(*args)
        except Exception as exc:  # a failure building objects must end the job, not the timer silently
            traceback.print_exc()
            self.cancel_event.set()
            self.state, self.error = "failed", f"{type(exc).__name__}: {exc}"
            self.message = self.error

    def start(self) -> "Job":
        """Run in a thread; a bpy.app.timers callback drains the queue until the job ends."""
        global CURRENT
        CURRENT = self
        self.thread = threading.Thread(target=self._run, name=f"iggan-{self.label}", daemon=True)
        self.thread.start()
        # one bound method, kept: timers match by identity, and each `self._tick` is a new object
        self.timer = self._tick
        bpy.app.timers.register(self.timer, first_interval=POLL_S)
        return self

    def _tick(self):
        self.drain()
        _redraw()
        return POLL_S if self.running else None

    def run_sync(self) -> "Job":
        """Background mode / scripts: run inline, draining after every message."""
        global CURRENT
        CURRENT = self

        def emit(kind, payload):
            self._emit(kind, payload)
            self.drain()

        self._emit_sync = emit
        work = self.work
        self.work = lambda _emit, cancelled: work(emit, cancelled)
        self._run()
        self.drain()
        return self


CURRENT: Job | None = None


def busy() -> bool:
    return CURRENT is not None and CURRENT.running


def cancel_current() -> bool:
    if busy():
        CURRENT.cancel()
        return True
    return False


def shutdown() -> None:
    """On unregister: stop a running job and its timer."""
    global CURRENT
    if CURRENT is not None:
        CURRENT.cancel_event.set()
        if CURRENT.thread is not None:
            CURRENT.thread.join(timeout=5.0)
        timer = getattr(CURRENT, "timer", None)
        if timer is not None and bpy.app.timers.is_registered(timer):  # else it drains, and places assets, later
            bpy.app.timers.unregister(timer)
    CURRENT = None


def _redraw() -> None:
    wm = getattr(bpy.context, "window_manager", None)
    if wm is None:
        return
    for window in wm.windows:
        for area in window.screen.areas:
            if area.type == "VIEW_3D":
                area.tag_redraw()
