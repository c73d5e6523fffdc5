"""Progress bars on stderr that stay readable in log files."""
from __future__ import annotations

import sys


def progress_bar(**kwargs):
    """tqdm on stderr; when stderr is not a terminal (a log file, a batch job) it redraws at most every
    30 s instead of on every step, so a long run's log holds progress lines, not megabytes of them."""
    from tqdm import tqdm

    if not sys.stderr.isatty():
        kwargs.setdefault("mininterval", 30.0)
    return tqdm(file=sys.stderr, dynamic_ncols=True, **kwargs)
