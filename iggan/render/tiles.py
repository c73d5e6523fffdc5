"""Several Pyrender renders per GL frame: sample i of a batch is drawn into its own square tile of
one framebuffer, and the whole batch is read back once.

Pyrender draws one camera per `render()` and then reads colour *and* depth back, which ends every
sample in a stall of the GL pipeline (on a shared GPU, a context switch too). Here Pyrender's own
`render()` still draws each sample (same shaders, lights, camera, MSAA), but with the viewport set
to the sample's tile, the clear limited to that tile by the scissor test, and the per-render
readback skipped. The viewport transform only moves pixels by whole tiles, so a tile holds exactly
the image a single render would give (tested against the one-render-per-frame path).
"""
from __future__ import annotations

import math

import numpy as np


class TileAtlas:
    """Draws into tiles of a (rows * S, cols * S) framebuffer owned by a pyrender.OffscreenRenderer.

    Build the OffscreenRenderer at (cols * S, rows * S). Use as
        with atlas.frame():            # makes the GL context current
            atlas.draw(scene, 0); atlas.draw(scene, 1) ...
            images = atlas.read(n, 1)  # (n, S, S, 1) uint8
    """

    def __init__(self, offscreen, tile_size: int, cols: int, rows: int):
        from OpenGL import GL  # noqa: PLC0415 (after pyrender picked the platform)

        self._gl = GL
        self._offscreen = offscreen
        self._inner = offscreen._renderer
        self.size, self.cols, self.rows = tile_size, cols, rows
        self.capacity = cols * rows
        self.extra_flags = 0  # RenderFlags or-ed into every draw (e.g. SHADOWS_DIRECTIONAL for a probe)
        self._fbo = offscreen._platform.supports_framebuffers()
        inner = self._inner
        inner.viewport_width, inner.viewport_height = cols * tile_size, rows * tile_size
        inner.tile_size, inner.tile_origin = tile_size, (0, 0)
        # A subclass rather than patched-in closures: a closure stored on the renderer would make a
        # reference cycle, so the renderer would be freed by the cyclic GC at a random moment, and
        # freeing it makes its context current and destroys it, possibly inside another render.
        inner.__class__ = _tiled_renderer_class(type(inner))

    def origin(self, index: int) -> tuple[int, int]:
        """GL window coordinates (x, y from the bottom left) of tile `index`."""
        return (index % self.cols) * self.size, (index // self.cols) * self.size

    def frame(self):
        return _Current(self._offscreen._platform)

    def draw(self, scene, index: int) -> None:
        """Draw `scene` (as it is now) into tile `index`; nothing is read back."""
        from pyrender.constants import RenderFlags  # noqa: PLC0415

        if not 0 <= index < self.capacity:
            raise IndexError(f"tile {index} outside an atlas of {self.capacity}")
        self._inner.tile_origin = self.origin(index)
        flags = (RenderFlags.OFFSCREEN if self._fbo else RenderFlags.NONE) | self.extra_flags
        self._inner.render(scene, flags)

    def read(self, count: int, channels: int = 1) -> np.ndarray:
        """Tiles 0..count-1 -> (count, S, S, channels) uint8, top row first; one readback in all.

        channels 1 reads the red channel only (the reference images are gray), 3 reads RGB.
        """
        GL, s = self._gl, self.size
        width, height = min(count, self.cols) * s, math.ceil(count / self.cols) * s
        GL.glDisable(GL.GL_SCISSOR_TEST)  # the scissor test would clip the blit to the last tile
        if self._fbo:  # resolve the multisampled buffer, as pyrender's own readback does
            GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self._inner._main_fb_ms)
            GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, self._inner._main_fb)
            GL.glBlitFramebuffer(0, 0, width, height, 0, 0, width, height, GL.GL_COLOR_BUFFER_BIT, GL.GL_LINEAR)
            GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self._inner._main_fb)
        else:  # OSMesa: pyrender draws to the default framebuffer and reads its front buffer
            GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, 0)
            GL.glReadBuffer(GL.GL_FRONT)
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
        fmt = {1: GL.GL_RED, 3: GL.GL_RGB}[channels]
        buf = GL.glReadPixels(0, 0, width, height, fmt, GL.GL_UNSIGNED_BYTE)
        atlas = np.frombuffer(buf, np.uint8).reshape(height, width, channels)
        out = np.empty((count, s, s, channels), np.uint8)
        for i in range(count):
            x, y = self.origin(i)
            out[i] = atlas[y:y + s, x:x + s][::-1]  # GL rows run bottom-up
        return out


class _Current:
    """Context manager: the GL context is current inside (pyrender does this per render)."""

    def __init__(self, platform):
        self._platform = platform

    def __enter__(self):
        self._platform.make_current()
        return self

    def __exit__(self, *exc):
        from .gl import forget_context_records  # noqa: PLC0415

        forget_context_records()  # else PyOpenGL keeps every draw's records (gl.forget_context_records)
        self._platform.make_uncurrent()
        return False


_TILED_CLASSES: dict[type, type] = {}


def _tiled_renderer_class(base: type) -> type:
    """pyrender's Renderer drawing into `tile_origin` (tile_size^2) and skipping its own readback."""
    if base not in _TILED_CLASSES:
        from OpenGL import GL  # noqa: PLC0415

        class TiledRenderer(base):
            def _configure_forward_pass_viewport(self, flags):
                super()._configure_forward_pass_viewport(flags)  # binds the framebuffer, depth state
                GL.glEnable(GL.GL_SCISSOR_TEST)  # so the forward pass's clear stays in the tile
                GL.glViewport(*self.tile_origin, self.tile_size, self.tile_size)
                GL.glScissor(*self.tile_origin, self.tile_size, self.tile_size)

            def _read_main_framebuffer(self, scene, flags):
                return None  # TileAtlas.read reads the whole batch once

        _TILED_CLASSES[base] = TiledRenderer
    return _TILED_CLASSES[base]
