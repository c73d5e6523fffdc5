"""Pick a headless OpenGL platform for Pyrender before PyOpenGL is imported.

EGL on a machine with an NVIDIA GPU, OSMesa (software) otherwise. ``PYOPENGL_PLATFORM`` set by
the user always wins. When neither works, the error names the fix.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os

FIX = (
    "Headless OpenGL is not available. On the CPU install OSMesa "
    "('sudo apt-get install libosmesa6 libglu1-mesa') and set PYOPENGL_PLATFORM=osmesa; on an NVIDIA "
    "GPU install libegl1 and set PYOPENGL_PLATFORM=egl."
)


def choose_platform() -> str:
    """Return 'egl' or 'osmesa' for this machine (the env var PYOPENGL_PLATFORM overrides)."""
    forced = os.environ.get("PYOPENGL_PLATFORM")
    if forced:
        return forced
    if glob.glob("/dev/nvidia[0-9]*") and ctypes.util.find_library("EGL"):
        return "egl"
    return "osmesa"


def ensure_headless_gl() -> str:
    """Set PYOPENGL_PLATFORM if unset and check the library can be loaded; returns the platform."""
    platform = choose_platform()
    os.environ.setdefault("PYOPENGL_PLATFORM", platform)
    lib = {"osmesa": "OSMesa", "egl": "EGL"}.get(platform)
    if lib and not ctypes.util.find_library(lib):
        raise RuntimeError(f"PYOPENGL_PLATFORM={platform} but lib{lib} was not found. {FIX}")
    return platform


def import_pyrender():
    """Import pyrender with a headless platform chosen; raise RuntimeError naming the fix on failure."""
    ensure_headless_gl()
    try:
        import pyrender  # noqa: PLC0415 (must follow the platform choice)
    except Exception as exc:  # ImportError, or GL errors raised while importing pyglet
        raise RuntimeError(f"Could not import pyrender ({exc}). {FIX}") from exc
    if os.environ.get("PYOPENGL_PLATFORM") == "egl":
        _keep_egl_display_alive(pyrender)
    return pyrender


def forget_context_records() -> None:
    """Drop PyOpenGL's per-context records (OpenGL.contextdata) of the current GL context. Under PyOpenGL
    3.1.10 every GetCurrentContext() is a new pointer object, equal in hash but not in ==, so each
    glVertexAttribPointer of a draw was stored under a key never seen again: 6 records (~6 KB) more per
    rendered mesh for the life of the process, and slower lookups as they pile up under one hash
    (benchmarks/render_leak.py). The records are the VBO offsets of draws already read back, set again
    before every draw, so none is needed once a frame is done. Call with the context current."""
    from OpenGL import contextdata, platform  # noqa: PLC0415

    current = _address(platform.GetCurrentContext())
    if current is None:
        return
    for storage in contextdata.STORAGES:
        for key in [k for k in list(storage) if _address(k) == current]:  # list(): one copy, safe beside other threads
            storage.pop(key, None)


def _address(context) -> int | None:
    """A GL context handle (a ctypes pointer, or an int) as its address; None for no context."""
    try:
        return ctypes.cast(context, ctypes.c_void_p).value
    except (TypeError, ctypes.ArgumentError):
        return context if isinstance(context, int) else None


def _keep_egl_display_alive(pyrender) -> None:
    """pyrender's EGL `delete_context` also calls eglTerminate on the display, which every context
    of the process shares (one display per GPU): deleting one renderer broke every other renderer
    still alive (EGLError on the next eglMakeCurrent; seen on the H100 box when a test made a fresh
    renderer beside a persistent scene). Destroy only the context; the display lives until exit."""
    from pyrender.platforms import egl  # noqa: PLC0415

    def delete_context(self):
        from OpenGL.EGL import eglDestroyContext  # noqa: PLC0415

        if self._egl_display is not None and self._egl_context is not None:
            eglDestroyContext(self._egl_display, self._egl_context)
        self._egl_context = None
        self._egl_display = None

    egl.EGLPlatform.delete_context = delete_context
