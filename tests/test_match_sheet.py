"""iggan/match_sheet.py: the photo column of match's sheet shows the photo as matching read it."""
import numpy as np
from PIL import Image

from iggan.match_sheet import TILE, _photo_tile


def test_a_16_bit_grey_photo_is_drawn_as_its_8_bit_twin_not_white():
    """PIL's convert("RGBA") clips 16-bit grey to white; the tile decodes it as matching does."""
    ramp = np.tile(np.linspace(0, 255, 64).astype(np.uint8), (48, 1))  # dark to light, left to right
    eight = _photo_tile(Image.fromarray(ramp, "L"))
    sixteen = _photo_tile(Image.fromarray(ramp.astype(np.uint16) * 257))  # mode I;16, the same picture
    assert eight.size == sixteen.size == (TILE, TILE)
    np.testing.assert_allclose(np.asarray(sixteen, float), np.asarray(eight, float), atol=2)
    assert np.asarray(sixteen).mean() < 200  # a white tile would be 255 where the photo is
