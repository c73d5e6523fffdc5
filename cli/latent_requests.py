"""Which latents an exporting command asks for, one Request per asset: generate's latent i of a seed (and the
derived seeds its resamples take), the shapes --pick names, variations around one latent, and the steps of an
interpolation. An asset's name says how to ask for it again: <model>_<i>_s<seed> is latent i of that seed."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import click
import numpy as np

MAX_N = 10_000  # generate --n at most: latents 0 .. MAX_N - 1


def derived_seed(seed: int, attempt: int) -> int:
    """The seed used for the attempt-th resample of a sample (attempt 0 = the seed itself).
    Deterministic, so a run that resampled is reproducible, and 31-bit so it fits --seed."""
    if attempt == 0:
        return seed
    return int(np.random.SeedSequence([seed, attempt, 0x1667]).generate_state(1)[0] >> 1)


@dataclass
class Request:
    """One asset to make: `latent(attempt)` -> (z (z_dim,), name, extras), or None when the
    request has no replacement latent for that attempt."""

    latent: Callable[[int], tuple[np.ndarray, str, dict] | None]
    failures: list[str] = field(default_factory=list)
    # match --texture: attempt -> the photos (asset_export.photo_texture.PhotoView) to paint that latent from
    photos: Callable[[int], list] | None = None


def generated_requests(model_label: str, seed: int, n: int, z_dim: int) -> list[Request]:
    """generate: latent i of --seed; a resample takes latent i of a derived seed, so its name
    <model>_<i>_s<seed> still says how to make it again (`--seed <seed>`, index i)."""
    from iggan.sampling import latents

    base = latents(seed, n, z_dim)

    def make(i):
        def latent(attempt):
            s = derived_seed(seed, attempt)
            z = base[i] if attempt == 0 else latents(s, 1, z_dim, start=i)[0]
            extras = {"model": model_label, "seed": s, "latent_index": i}
            if attempt:
                extras.update(requested_seed=seed, resample_attempt=attempt)
            return z, f"{model_label}_{i}_s{s}", extras
        return latent

    return [Request(make(i)) for i in range(n)]


PICK_NAME = re.compile(r"(?:(?P<label>[A-Za-z0-9_-]+?)_)?(?P<index>\d+)(?:_s(?P<seed>\d+))?")


def parse_picks(text: str, seed: int, option: str = "--pick",
                seed_given: bool = False) -> list[tuple[str | None, int, int]]:
    """--pick 'chair_12_s0,chair_14_s975157198,30' -> [(label or None, latent index, seed)]: an asset's name
    from the preview sheet or manifest (its seed in the name, a resampled one's included), or a bare
    index of --seed. Raises click.BadParameter on anything else, on the same shape twice, or (seed_given: the
    user passed --seed) on names that all carry their own seeds, one of them not --seed's, which would leave
    --seed ignored."""
    picks: list[tuple[str | None, int, int]] = []
    named_seed: list[bool] = []
    for item in (part.strip() for part in text.split(",")):
        match = PICK_NAME.fullmatch(item)
        if not item or match is None:
            raise click.BadParameter(f"{item!r} is neither an asset name like chair_12_s0 nor a latent index like "
                                     f"12", param_hint=option)
        pick = (match["label"], int(match["index"]), int(match["seed"]) if match["seed"] else seed)
        if pick[1] >= MAX_N:  # generate --n makes latents 0 .. MAX_N - 1
            raise click.BadParameter(f"{item}: latent indices run from 0 to {MAX_N - 1}", param_hint=option)
        if pick[2] >= 2**31:
            raise click.BadParameter(f"{item}: the seed must be below 2^31", param_hint=option)
        if any(p[1:] == pick[1:] for p in picks):
            raise click.BadParameter(f"{item} is picked twice", param_hint=option)
        picks.append(pick)
        named_seed.append(bool(match["seed"]))
    # --seed applies to bare indices only; when every pick names its own seed, a --seed that differs would be
    # silently ignored
    if seed_given and all(named_seed):
        other = next(((item, p) for item, p in zip(text.split(","), picks) if p[2] != seed), None)
        if other is not None:
            item, (_, index, own) = other
            raise click.BadParameter(f"{item.strip()} names its own seed ({own}), and --seed {seed} applies only to "
                                     f"bare indices: drop --seed, or give the bare index {index} for latent {index} "
                                     f"of seed {seed}", param_hint=option)
    return picks


def check_pick_labels(model_label: str, picks: list[tuple[str | None, int, int]], option: str) -> None:
    """Raise click.BadParameter if a picked name is another model's asset."""
    for label, index, seed in picks:
        if label is not None and label != model_label:
            raise click.BadParameter(f"{label}_{index}_s{seed} is not an asset of this model, whose assets are named "
                                     f"{model_label}_<index>_s<seed>; pass the --model that made it",
                                     param_hint=option)


def picked_requests(model_label: str, picks: list[tuple[str | None, int, int]], z_dim: int) -> list[Request]:
    """generate --pick: exactly the named shapes (latent i of seed s, as generate made them), never resampled:
    the user chose them from a sheet."""
    from iggan.sampling import latents

    check_pick_labels(model_label, picks, "--pick")

    def make(index, seed):
        def latent(attempt):
            if attempt:
                return None
            z = latents(seed, 1, z_dim, start=index)[0]
            return z, f"{model_label}_{index}_s{seed}", {"model": model_label, "seed": seed, "latent_index": index}
        return latent

    return [Request(make(index, seed)) for _, index, seed in picks]


def variation_requests(model_label: str, seed: int, n: int, z_dim: int, spread: float, index: int = 0) -> list[Request]:
    """variations: latent `index` of --seed plus Gaussian noise, z = (z0 + spread * e) / sqrt(1 + spread^2)
    (so z stays standard normal). Variation 0 is z0 itself. A resample draws new noise."""
    from iggan.sampling import latents

    z0 = latents(seed, 1, z_dim, start=index)[0]
    base = f"{model_label}_{index}" if index else model_label  # latent 0 keeps the names it always had

    def make(i):
        def latent(attempt):
            if i == 0 and attempt == 0:
                z = z0
            else:
                key = [seed, i, attempt, 0x7A41] + ([index] if index else [])
                e = np.random.default_rng(key).standard_normal(z_dim).astype(np.float32)
                z = ((z0 + spread * e) / np.sqrt(1.0 + spread**2)).astype(np.float32)
            extras = {"model": model_label, "seed": seed, "latent_index": index, "variation": i,
                      "spread": spread, "resample_attempt": attempt}
            return z, f"{base}_var{i}_s{seed}" + (f"r{attempt}" if attempt else ""), extras
        return latent

    return [Request(make(i)) for i in range(n)]


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation: keeps the latent norm near that of N(0, I) samples, which linear
    interpolation shrinks mid-way (giving washed-out shapes)."""
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    cos = float(np.clip(np.dot(a / na, b / nb), -1.0, 1.0))
    omega = np.arccos(cos)
    if omega < 1e-6:
        return ((1 - t) * a + t * b).astype(np.float32)
    return ((np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)).astype(np.float32)


def interpolation_requests(model_label: str, seed_a: int, seed_b: int, n: int, z_dim: int, index_a: int = 0,
                           index_b: int = 0) -> list[Request]:
    """interpolate: slerp from latent index_a of seed A to latent index_b of seed B in n steps. No resampling:
    the latent is fixed by the request, so an empty/full step is reported, not replaced."""
    from iggan.sampling import latents

    za, zb = latents(seed_a, 1, z_dim, start=index_a)[0], latents(seed_b, 1, z_dim, start=index_b)[0]
    # latents 0 keep the names they always had; others name both ends' indices
    ends = f"s{seed_a}to{seed_b}" if index_a == index_b == 0 else f"{index_a}s{seed_a}to{index_b}s{seed_b}"

    def make(i):
        t = i / (n - 1) if n > 1 else 0.0

        def latent(attempt):
            if attempt:
                return None
            # both ends' latents; no one latent_index, which read with one seed would name another shape
            extras = {"model": model_label, "seeds": [seed_a, seed_b], "latent_indices": [index_a, index_b],
                      "t": round(t, 6)}
            return slerp(za, zb, t), f"{model_label}_{i}_{ends}", extras
        return latent

    return [Request(make(i)) for i in range(n)]


# why a sample was resampled, by words of asset_export's and DistinctSet's messages, first match wins
