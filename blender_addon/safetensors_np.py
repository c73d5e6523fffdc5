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
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        if end > len(body):
            raise SafetensorsError(f"{path}: tensor {name} runs past the end; the file is truncated")
        raw = body[start:end]
        if info["dtype"] == "BF16":
            arr = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        elif info["dtype"] in _DTYPES:
            arr = np.frombuffer(raw, np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<"))
        else:
            raise SafetensorsError(f"{path}: tensor {name} has unsupported dtype {info['dtype']}")
        out[name] = arr.reshape(info["shape"]).copy()
    return out
