"""The render worker process: a persistent reference scene fed through shared memory.

Imports no torch (about 400 MB less resident memory per worker); see pool.py for the parent side.
"""
from __future__ import annotations

import os
import queue
import signal
from multiprocessing import shared_memory

import numpy as np

POLL_S = 1.0  # how often a waiting side checks that the other side is alive


def render_worker(wid, tasks, done, image_size, views_cfg, parent_pid, max_tiles):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    from .scene import ReferenceScene  # noqa: PLC0415 (GL is created in the child only)
    from .voxel_mesh import surface_items  # noqa: PLC0415

    scene = ReferenceScene(image_size, views_cfg, max_tiles)
    attached: dict[str, shared_memory.SharedMemory] = {}
    while True:
        try:
            task = tasks.get(timeout=POLL_S)
        except queue.Empty:
            if os.getppid() != parent_pid:
                return  # parent is gone: exit rather than linger as an orphan
            continue
        if task is None:
            break
        job_id, names, shape_in, n_images, start, stop = task
        try:
            bufs = []
            for name in names:
                if name not in attached:
                    attached[name] = shared_memory.SharedMemory(name=name)
                bufs.append(attached[name])
            grids = np.ndarray(shape_in, np.bool_, buffer=bufs[0].buf)
            views = np.ndarray((n_images, 2), np.float64, buffer=bufs[1].buf)
            images = np.ndarray((n_images, image_size, image_size), np.float32, buffer=bufs[2].buf)
            images[start:stop] = scene.render_batch(
                surface_items(grids[start:stop], views[start:stop, 0], views[start:stop, 1]))
            done.put((job_id, wid, None))
        except Exception as exc:  # report, don't die silently
            done.put((job_id, wid, f"{type(exc).__name__}: {exc}"))
    for shm in attached.values():
        shm.close()
