"""`iggan-assets models`: the bundled models and their cards."""
from __future__ import annotations

import click

from .export_options import describe_export_defaults


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print each model's card and config as JSON.")
def models(as_json):
    """List the bundled models with their model cards (data, steps, GPU time, metrics, limitations, licence)."""
    import json

    from iggan.sampling import bundled_models

    found = bundled_models()
    if not found:
        click.echo("no bundled models; pass --model RUN_DIR or a checkpoint file to generate")
        return
    metas = {name: json.loads(stem.with_suffix(".json").read_text()) for name, stem in found.items()}
    if as_json:
        click.echo(json.dumps({name: {"path": str(found[name]), **meta} for name, meta in metas.items()}, indent=1))
        return
    for name, meta in metas.items():
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
