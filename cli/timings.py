"""Seconds per export stage (`--timings`) and the exporting commands' progress bar."""
from __future__ import annotations

import sys
import time

import click

from iggan.asset_export import STAGES


class Timings(dict):
    """Seconds per stage, accumulated."""

    def add(self, stage: str, seconds: float) -> None:
        self[stage] = self.get(stage, 0.0) + seconds

    def table(self, total: float | None = None) -> str:
        lines = [f"{'stage':<12}{'seconds':>9}"]
        # in pipeline order: a stage that only some shapes reach (level) was first timed late
        order = ("load", "photos", "pool", "match", "sample", *STAGES, "write", "preview", "sheet")
        keys = sorted(self, key=lambda k: order.index(k) if k in order else len(order))
        lines += [f"{k:<12}{self[k]:>9.3f}" for k in keys]
        if total is not None:
            lines.append(f"{'total (wall)':<12}{total:>9.3f}")
        return "\n".join(lines)


class Stopwatch:
    def __init__(self, timings: Timings, stage: str):
        self.timings, self.stage = timings, stage

    def __enter__(self):
        self.t0 = time.perf_counter()

    def __exit__(self, *exc):
        self.timings.add(self.stage, time.perf_counter() - self.t0)


def click_progress(total: int, label: str):
    return click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)
