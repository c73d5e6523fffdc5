"""--device for every command: 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', checked before any work, so a machine
without the device (or a misspelt one) gets a message that says what to pass instead of a torch traceback."""
from __future__ import annotations

import click


def resolve_device(name: str) -> str:
    """'auto' -> 'cuda' if a CUDA GPU is usable, else 'cpu'; any other name is checked and returned.
    Raises click.BadParameter naming what to pass instead."""
    import torch

    name = str(name).strip().lower()
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError) as exc:
        raise click.BadParameter(f"{name!r} is not a torch device; pass cpu, cuda, cuda:N, mps or auto",
                                 param_hint="--device") from exc
    if device.type == "cuda":
        if not torch.cuda.is_available():
            build = ("a CPU-only build" if torch.version.cuda is None
                     else f"CUDA {torch.version.cuda}, but no GPU is visible")
            raise click.BadParameter(f"no CUDA GPU here (torch {torch.__version__}: {build}); pass --device cpu, "
                                     f"or auto to use a GPU when there is one", param_hint="--device")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise click.BadParameter(f"{name}: this machine has {torch.cuda.device_count()} CUDA GPU(s), "
                                     f"numbered from 0", param_hint="--device")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise click.BadParameter("no Apple GPU (MPS) here; pass --device cpu or auto", param_hint="--device")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise click.BadParameter(f"{name!r}: this package runs on cpu, cuda or mps", param_hint="--device")
    return name


def device_callback(ctx, param, value):
    """click callback: the checked device name (see resolve_device)."""
    return resolve_device(value) if value is not None else value
