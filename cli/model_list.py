"""`iggan-assets models`: the bundled models and their cards."""
from __future__ import annotations

import click

from .export_options import describe_export_defaults


def bundled_cards() -> dict[str, dict]:
    """{name: {"path": checkpoint stem, **the model's JSON (kind, config, card)}} for each bundled model."""
    import json

    from iggan.sampling import bundled_models

    return {name: {"path": str(stem), **json.loads(stem.with_suffix(".json").read_text())}
            for name, stem in bundled_models().items()}


def bundled_helpers() -> dict[str, dict]:
    """{name: {"path", "kind", "size_mb", "about"}} for the bundled networks that are not generators: the proxy
    renderer `train` starts from and the feature network of `evaluate`'s FID/KID."""
    import json

    from iggan.sampling import BUNDLED_DIR, bundled_models

    out = {}
    for meta_path in sorted(BUNDLED_DIR.glob("*.json")):
        weights = meta_path.with_suffix(".safetensors")
        if meta_path.stem in bundled_models() or not weights.is_file():
            continue
        meta = json.loads(meta_path.read_text())
        kind = meta.get("kind", "?")
        if kind == "proxy":
            about = meta.get("card", {}).get("description") or "proxy renderer"
        elif kind == "eval_classifier":
            about = (f"feature network of evaluate's FID/KID: a classifier of renders of {len(meta.get('classes', []))}"
                     f" object classes, held-out accuracy {meta.get('heldout_accuracy', '?')}")
        else:
            about = kind
        out[meta_path.stem] = {"path": str(meta_path.with_suffix("")), "kind": kind,
                               "size_mb": round(weights.stat().st_size / 1e6, 1), "about": about}
    return out


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print each model's card and config as JSON.")
def models(as_json):
    """List the bundled models with their model cards (data, steps, GPU time, metrics, limitations, licence), then
    the other bundled networks (the pretrained proxy renderer, evaluate's feature network)."""
    import json
    from pathlib import Path

    listed = bundled_cards()
    if not listed:
        click.echo("no bundled models; pass --model RUN_DIR or a checkpoint file to generate")
        return
    if as_json:
        click.echo(json.dumps(listed, indent=1))
        return
    found = {name: Path(meta["path"]) for name, meta in listed.items()}
    for name, meta in listed.items():
        card, model = meta.get("card", {}), meta.get("config", {}).get("model", {})
        size_mb = found[name].with_suffix(".safetensors").stat().st_size / 1e6
        steps, minutes = card.get("steps"), card.get("gpu_minutes")
        trained = f"{steps:,} steps" if isinstance(steps, int) else "steps unknown"
        if minutes is not None:
            trained += f", {minutes} GPU min"
        click.echo(f"{name}: {model.get('voxel_res', '?')}^3 voxels, {trained}, {size_mb:.1f} MB  ({found[name]})")
        for key in ("description", "data", "metrics", "limitations", "licence"):
            if card.get(key):
                click.echo(f"  {key}: {card[key]}")
        if isinstance(card.get("export"), dict):
            click.echo(f"  generate defaults: {describe_export_defaults(card['export'])}")
    helpers = bundled_helpers()
    if helpers:
        click.echo("also bundled (not generators, so not for --model):")
        for name, meta in helpers.items():
            click.echo(f"  {name}: {meta['size_mb']:.1f} MB, {meta['about']}  ({meta['path']})")
