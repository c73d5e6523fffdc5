"""What `--compress draco` buys and costs, per GLB: bytes (and gzip bytes, as a web server sends them), the
seconds to encode (compress_glb) and to decode (trimesh through DracoPy), and the largest vertex move in mm.

    python benchmarks/draco_size.py chairs.glb [more.glb ...] [--browser 3]

Each GLB should be a plain one as `generate` writes it (without --compress). --browser N also loads the plain
and the coded file N times each with three.js in headless Chromium (tests/clients/three_check.html, served on
127.0.0.1; needs node, the npm test clients and chromium) and gives the median milliseconds from the request to
the loaded scene: fetch, parse and, for Draco, the decoder's start and the decoding.
"""
from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import io
import json
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import trimesh
from scipy.spatial import cKDTree

from iggan.asset_export.draco import compress_glb

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = ROOT / "tests" / "clients"


def _meshes(data: bytes) -> dict[str, trimesh.Trimesh]:
    scene = trimesh.load(io.BytesIO(data), file_type="glb", force="scene", process=False)
    return dict(scene.geometry)


def measure(path: Path) -> dict:
    """One row: sizes in bytes, seconds, and the largest distance (mm) from a decoded vertex to the plain mesh's
    nearest vertex, over every mesh of the file."""
    plain = Path(path).read_bytes()
    t0 = time.perf_counter()
    coded = compress_glb(plain)
    encode_s = time.perf_counter() - t0
    before = _meshes(plain)
    t0 = time.perf_counter()
    after = _meshes(coded)
    decode_s = time.perf_counter() - t0
    if sorted(after) != sorted(before):
        raise SystemExit(f"{path}: the decoded file has other meshes")
    moved = max(cKDTree(before[name].vertices).query(mesh.vertices)[0].max() for name, mesh in after.items())
    triangles = sum(len(m.faces) for m in before.values())
    return {"file": Path(path).name, "meshes": len(before), "triangles": triangles, "plain_bytes": len(plain),
            "draco_bytes": len(coded), "ratio": len(plain) / len(coded),
            "plain_gzip": len(gzip.compress(plain, 6)), "draco_gzip": len(gzip.compress(coded, 6)),
            "encode_s": encode_s, "decode_s": decode_s, "max_move_mm": float(moved) * 1000.0}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".glb": "model/gltf-binary",
                      ".js": "text/javascript", ".wasm": "application/wasm"}

    def log_message(self, *args):
        pass


def browser_ms(paths: list[Path], repeats: int) -> list[tuple[float, float]]:
    """(plain ms, Draco ms) per GLB: the median over `repeats` fresh browsers of three.js's load time."""
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        shutil.copy(CLIENTS / "three_check.html", site)
        (site / "node_modules").symlink_to(ROOT / "node_modules")
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=tmp))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/three_check.html?src=/"
        results = []
        try:
            for i, path in enumerate(paths):
                plain = Path(path).read_bytes()
                (site / f"{i}.glb").write_bytes(plain)
                (site / f"{i}.draco.glb").write_bytes(compress_glb(plain))
                pair = []
                for name in (f"{i}.glb", f"{i}.draco.glb"):
                    times = []
                    for _ in range(repeats):
                        out = subprocess.run(["node", str(CLIENTS / "browser_check.mjs"), url + name],
                                             capture_output=True, text=True, timeout=300, cwd=ROOT)
                        result = json.loads(out.stdout)["result"]
                        if "error" in result:
                            raise SystemExit(f"{path}: three.js could not load {name}: {result['error']}")
                        times.append(result["ms"])
                    pair.append(float(np.median(times)))
                results.append(tuple(pair))
        finally:
            server.shutdown()
            server.server_close()
    return results


def table(rows: list[dict]) -> str:
    head = ("| file | meshes | triangles | plain | Draco | ratio | plain gzip | Draco gzip | encode s | decode s "
            "| max move mm |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    if rows and "three_plain_ms" in rows[0]:
        head = head.replace(" |\n|", " | three.js plain ms | three.js Draco ms |\n|", 1) + "---:|---:|"
    lines = [f"| {r['file']} | {r['meshes']} | {r['triangles']:,} | {r['plain_bytes']:,} | {r['draco_bytes']:,} | "
             f"{r['ratio']:.1f} | {r['plain_gzip']:,} | {r['draco_gzip']:,} | {r['encode_s']:.2f} | "
             f"{r['decode_s']:.2f} | {r['max_move_mm']:.3f} |"
             + (f" {r['three_plain_ms']:.0f} | {r['three_draco_ms']:.0f} |" if "three_plain_ms" in r else "")
             for r in rows]
    return "\n".join([head, *lines])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("glbs", nargs="+", type=Path)
    parser.add_argument("--browser", type=int, default=0, metavar="N",
                        help="also time three.js loading each file N times (median)")
    args = parser.parse_args(argv)
    rows = [measure(p) for p in args.glbs]
    if args.browser:
        for row, (plain_ms, draco_ms) in zip(rows, browser_ms(args.glbs, args.browser)):
            row["three_plain_ms"], row["three_draco_ms"] = plain_ms, draco_ms
    print(table(rows))


if __name__ == "__main__":
    main()
