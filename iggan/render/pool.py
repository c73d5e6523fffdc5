"""Reference rendering spread over worker processes, each with its own persistent Pyrender scene.

The batch travels through shared memory (binary grids in, images out), so only a few bytes of
task description go through queues. Workers ignore Ctrl-C (the parent stops them), exit when the
parent dies (no orphans), and a crashed worker is reported as an error instead of a hang.
Images are identical to `PyrenderRenderer`'s: each worker runs exactly that code.
"""
from __future__ import annotations

import atexit
import multiprocessing as mp
import os
import queue
from multiprocessing import shared_memory

import numpy as np
import torch

from ..cameras import Views
from ..config import ViewConfig
from .scene import MAX_TILES
from .worker import POLL_S as _POLL_S, render_worker

class PooledPyrenderRenderer:
    """Renderer protocol: the Pyrender reference renderer over `workers` processes."""

    differentiable = False

    def __init__(self, image_size: int, views: ViewConfig, workers: int, timeout_s: float = 300.0,
                 max_tiles: int = MAX_TILES):
        if workers < 1:
            raise ValueError("workers must be >= 1")
        self.image_size, self.view_config, self.workers, self.timeout_s = image_size, views, workers, timeout_s
        self._ctx = mp.get_context("spawn")  # never fork a process that may hold a GL context
        self._done = self._ctx.Queue()
        self._tasks = [self._ctx.Queue() for _ in range(workers)]
        self._procs = [
            self._ctx.Process(target=render_worker, daemon=True, name=f"iggan-render-{i}",
                              args=(i, self._tasks[i], self._done, image_size, views, os.getpid(), max_tiles))
            for i in range(workers)
        ]
        for p in self._procs:
            p.start()
        self._all: list[list[shared_memory.SharedMemory]] = []  # every buffer set made
        self._free: list[tuple[tuple, list[shared_memory.SharedMemory]]] = []  # sets not in use
        self._replies: dict[int, set[int]] = {}  # job id -> workers that finished it
        self._job_id = 0
        atexit.register(self.close)

    def _buffers(self, shape_in: tuple) -> list[shared_memory.SharedMemory]:
        """A free set of shared buffers for a job of this shape (reused once its job is collected)."""
        for buf in self._free:
            if buf[0] == shape_in:
                self._free.remove(buf)
                return buf[1]
        n, s = shape_in[0], self.image_size
        sizes = (int(np.prod(shape_in)), n * 2 * 8, n * s * s * 4)
        shm = [shared_memory.SharedMemory(create=True, size=max(1, b)) for b in sizes]
        self._all.append(shm)
        return shm

    def submit(self, voxels: torch.Tensor, views: Views) -> "RenderJob":
        """Start rendering voxels (B, 1, R, R, R) in the workers; `.result()` waits for the images."""
        shape = tuple(voxels.shape[:1] + voxels.shape[2:])
        n = shape[0]
        shm = self._buffers(shape)
        # Threshold where the voxels are (the GPU in training) and write the mask straight into shared
        # memory: one pass over the batch instead of threshold, copy to numpy, copy again.
        target = torch.from_numpy(np.ndarray(shape, np.bool_, buffer=shm[0].buf))
        with torch.no_grad():
            if voxels.device.type == "cpu":
                torch.gt(voxels.detach()[:, 0], 0.5, out=target)
            else:
                target.copy_(voxels.detach()[:, 0] > 0.5)
        np.ndarray((n, 2), np.float64, buffer=shm[1].buf)[:] = np.stack(
            [views.azimuth.cpu().double().numpy(), views.elevation.cpu().double().numpy()], 1)
        self._job_id += 1
        job = RenderJob(self, self._job_id, shm, shape, voxels.device, voxels.dtype)
        bounds = np.linspace(0, n, self.workers + 1).astype(int)
        names = [b.name for b in shm]
        for w in range(self.workers):
            if bounds[w] < bounds[w + 1]:
                self._tasks[w].put((job.id, names, shape, n, int(bounds[w]), int(bounds[w + 1])))
                job.pending.add(w)
        return job

    @torch.no_grad()
    def __call__(self, voxels: torch.Tensor, views: Views) -> torch.Tensor:
        """voxels (B, 1, R, R, R) binary -> images (B, 1, S, S); no gradient."""
        return self.submit(voxels, views).result()

    def _wait(self, job: "RenderJob") -> None:
        """Block until every worker has finished its part of `job` (others' replies are kept)."""
        waited = 0.0
        job.pending -= self._replies.pop(job.id, set())  # replies that came while waiting for another job
        while job.pending:
            try:
                job_id, wid, error = self._done.get(timeout=_POLL_S)
            except queue.Empty:
                waited += _POLL_S
                dead = [p.name for p in self._procs if not p.is_alive()]
                if dead:
                    self.close()
                    raise RuntimeError(f"render worker(s) {dead} died; see their output above. Rerun with "
                                       "--render-workers 0 to render in the main process and see the error")
                if waited > self.timeout_s:
                    self.close()
                    raise RuntimeError(f"render workers did not answer in {self.timeout_s:.0f} s")
                continue
            if error:
                self.close()
                raise RuntimeError(f"render worker {wid} failed: {error}")
            self._replies.setdefault(job_id, set()).add(wid)
            job.pending -= self._replies.pop(job.id, set())

    def _free_shm(self) -> None:
        for shm in self._all:
            for b in shm:
                b.close()
                try:
                    b.unlink()
                except FileNotFoundError:
                    pass
        self._all, self._free = [], []

    def close(self) -> None:
        """Stop the workers (politely, then by force) and free shared memory. Idempotent."""
        for q, p in zip(self._tasks, self._procs):
            if p.is_alive():
                try:
                    q.put(None)
                except (ValueError, OSError):
                    pass
        for p in self._procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
        self._procs = []
        self._tasks = []
        self._free_shm()


class RenderJob:
    """A batch being rendered by a `PooledPyrenderRenderer`."""

    def __init__(self, pool, job_id, shm, shape, device, dtype):
        self.pool, self.id, self.shm, self.shape = pool, job_id, shm, shape
        self.device, self.dtype = device, dtype
        self.pending: set[int] = set()
        self._images: torch.Tensor | None = None

    def result(self) -> torch.Tensor:
        """The images (B, 1, S, S); waits for the workers the first time."""
        if self._images is None:
            self.pool._wait(self)
            n, s = self.shape[0], self.pool.image_size
            shared = torch.from_numpy(np.ndarray((n, s, s), np.float32, buffer=self.shm[2].buf))[:, None]
            # The buffer is reused by a later job: copy out (to the GPU directly when training there).
            images = shared.to(self.device, self.dtype, copy=True)
            self.pool._free.append((self.shape, self.shm))
            self._images = images
        return self._images
