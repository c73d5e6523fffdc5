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


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print each model's card and config as JSON.")
def models(as_json):
    """List the bundled models with their model cards (data, steps, GPU time, metrics, limitations, licence)."""
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
