"""Ship a trained run as a bundled model: EMA generator weights (int8 convolutions with per-channel
scales, fp16 rest; see iggan/quantize.py) + a JSON model card.

    python scripts/bundle_model.py RUN_DIR NAME CARD.json
The card's fields are merged into the JSON beside the weights (see iggan/bundled/*.json).
"""
import json
import sys
from pathlib import Path

from iggan.sampling import BUNDLED_DIR, load_model, save_generator

run, name, card_path = sys.argv[1], sys.argv[2], Path(sys.argv[3])
model = load_model(run)
card = json.loads(card_path.read_text())
card["name"] = name
save_generator(BUNDLED_DIR / name, model.generator, model.config, card, int8=True)
print(f"wrote {BUNDLED_DIR / name}.safetensors (+ .json)")
