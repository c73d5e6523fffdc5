"""Progress bars on stderr that stay readable in log files."""
from __future__ import annotations

import sys


def progress_bar(**kwargs):
    """tqdm on stderr; when stderr is not a terminal (a log file, a batch job) it redraws at most every
    30 s instead of on every step, so a long run's log holds progress lines, not megabytes of them."""
    from tqdm import tqdm

    if not sys.stderr.isatty():
        kwargs.setdefault("mininterval", 30.0)
    kwargs.setdefault("file", sys.stderr)
    return tqdm(dynamic_ncols=True, **kwargs)


def follow_step(bar, step: int) -> None:
    """Show `step` as done. Counting calls would overshoot: a collapse recovery sends the trainer back
    to an earlier checkpoint, and the steps after it are trained (and reported) again."""
    bar.update(step - bar.n)
