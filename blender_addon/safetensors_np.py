"""A tiny safetensors reader (numpy only): 8-byte little-endian header length, a JSON header naming
each tensor's dtype, shape and byte range, then the raw little-endian data. Enough for our
generator checkpoints inside Blender, which ships numpy but not safetensors or torch."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
           "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


class SafetensorsError(ValueError):
    pass


def load_safetensors(path: str | Path) -> dict[str, np.ndarray]:
    """name -> array (copies, float16 kept as float16; BF16 widened to float32)."""
    data = Path(path).read_bytes()
    if len(data) < 8:
        raise SafetensorsError(f"{path} is too short to be a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise SafetensorsError(f"{path}: header length {n} runs past the end; the file is truncated")
    try:
        header = json.loads(data[8:8 + n])
    except ValueError as exc:
        raise SafetensorsError(f"{path}: header is not JSON ({exc})") from exc
    body = memoryview(data)[8 + n:]
    if not isinstance(header, dict):
        raise SafetensorsError(f"{path}: header is not a JSON object; the file is not a safetensors file")
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            out[name] = _tensor(body, info)
        except SafetensorsError as exc:
            raise SafetensorsError(f"{path}: tensor {name} {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:  # a header entry of the wrong form, or bytes not its shape
            raise SafetensorsError(f"{path}: tensor {name} is damaged ({type(exc).__name__}: {exc}); the file is "
                                   "corrupt") from None
    return out


def _tensor(body: memoryview, info: dict) -> np.ndarray:
    start, end = (int(v) for v in info["data_offsets"])
    if not 0 <= start <= end <= len(body):  # a negative offset would slice from the end
        raise SafetensorsError("runs past the end; the file is truncated")
    raw = body[start:end]
    if info["dtype"] == "BF16":
        arr = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
    elif info["dtype"] in _DTYPES:
        arr = np.frombuffer(raw, np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<"))
    else:
        raise SafetensorsError(f"has unsupported dtype {info['dtype']}")
    shape = [int(n) for n in info["shape"]]
    if any(n < 0 for n in shape):  # reshape would take -1 as "whatever fits"
        raise SafetensorsError(f"has a negative size in its shape {shape}")
    return arr.reshape(shape).copy()
