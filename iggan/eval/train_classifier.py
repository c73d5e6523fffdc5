"""Train the feature network on labelled renders and ship it (fp16 safetensors + JSON)."""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .classifier import WIDTHS, EvalClassifier

LICENCE = ("weights: MIT (this project). Training renders: Kenney Furniture Kit (CC0), Sweet Home 3D furniture "
           "catalogs (CC0 / CC-BY-3.0), ModelNet10 chairs (Princeton, research use)")


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random horizontal flip and a shift of up to 3 px (zero fill). x (B, 1, S, S)."""
    b = x.shape[0]
    flip = torch.rand(b, generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    pad = 3
    xp = F.pad(x, (pad, pad, pad, pad))
    dx, dy = torch.randint(0, 2 * pad + 1, (2,), generator=gen).tolist()
    s = x.shape[-1]
    return xp[..., dy:dy + s, dx:dx + s]


@torch.no_grad()
def accuracy(model: EvalClassifier, x: np.ndarray, y: np.ndarray, batch_size: int = 512) -> tuple[float, np.ndarray]:
    """x (N, S, S) uint8, y (N,) -> (accuracy, per-image predictions)."""
    model.eval()
    preds = []
    for i in range(0, len(x), batch_size):
        xb = torch.from_numpy(x[i:i + batch_size]).float()[:, None] / 255.0
        preds.append(model(xb).argmax(1).numpy())
    pred = np.concatenate(preds)
    return float((pred == y).mean()), pred


def train_and_save(x_tr: np.ndarray, y_tr: np.ndarray, x_te: np.ndarray, y_te: np.ndarray, classes: list[str],
                   out: Path, *, epochs: int = 8, batch_size: int = 128, lr: float = 2e-3, threads: int = 2,
                   seed: int = 0, description: str = "", per_class_objects: dict | None = None) -> dict:
    """x_* (N, 64, 64) uint8 renders, y_* (N,) class indices. Writes out.safetensors + out.json."""
    from safetensors.torch import save_file

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = EvalClassifier(len(classes), WIDTHS)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * (len(x_tr) // batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(steps, 1), pct_start=0.15)
    # class-balanced loss: every class counts the same, whatever its number of renders
    counts = np.bincount(y_tr, minlength=len(classes)).astype(np.float64)
    weight = torch.tensor(counts.sum() / (len(classes) * np.maximum(counts, 1)), dtype=torch.float32)
    xt = torch.from_numpy(x_tr)
    yt = torch.from_numpy(y_tr).long()
    t0, step = time.perf_counter(), 0
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(xt), generator=gen)
        total = 0.0
        for i in range(0, len(order) - batch_size + 1, batch_size):
            idx = order[i:i + batch_size]
            xb = augment(xt[idx].float()[:, None] / 255.0, gen)
            loss = F.cross_entropy(model(xb), yt[idx], weight=weight, label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
            step += 1
        acc, _ = accuracy(model, x_te, y_te)
        print(f"epoch {epoch + 1}/{epochs}: loss {total / max(1, len(order) // batch_size):.3f}, held-out "
              f"accuracy {acc:.3f}, {time.perf_counter() - t0:.0f}s", file=sys.stderr, flush=True)
    acc, pred = accuracy(model, x_te, y_te)
    per_class = {c: round(float((pred[y_te == i] == i).mean()), 4) for i, c in enumerate(classes) if (y_te == i).any()}
    balanced = float(np.mean(list(per_class.values())))
    n_params = sum(p.numel() for p in model.parameters())
    meta = {
        "format": "iggan-assets/1",
        "kind": "eval_classifier",
        "config": {"widths": list(WIDTHS), "input_size": 64, "feature_dim": WIDTHS[-1], "input": "gray in [0, 1]"},
        "classes": classes,
        "heldout_accuracy": round(acc, 4),
        "heldout_balanced_accuracy": round(balanced, 4),
        "heldout_per_class": per_class,
        "heldout_images": int(len(y_te)),
        "train_images": int(len(y_tr)),
        "objects_per_class_train_test": per_class_objects or {},
        "parameters": int(n_params),
        "training": f"{epochs} epochs, batch {batch_size}, AdamW one-cycle lr {lr}, flips + 3 px shifts, "
                    f"class-balanced cross-entropy; {time.perf_counter() - t0:.0f}s on {threads} CPU threads",
        "data": description,
        "licence": LICENCE,
    }
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in model.state_dict().items()}
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}.safetensors")
    save_file(tensors, str(tmp))
    os.replace(tmp, out.with_suffix(".safetensors"))
    tmpj = out.with_name(f".{out.name}.tmp-{os.getpid()}.json")
    tmpj.write_text(json.dumps(meta, indent=2))
    os.replace(tmpj, out.with_suffix(".json"))
    print(f"held-out accuracy {acc:.4f} (balanced {balanced:.4f}); wrote {out}.safetensors/.json "
          f"({n_params} parameters)", file=sys.stderr)
    return meta
