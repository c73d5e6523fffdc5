"""Errors raised by the export pipeline. All are ValueErrors so callers can catch one type."""
from __future__ import annotations


class ExportError(ValueError):
    """A grid could not be turned into a valid game-ready mesh; the message says why."""


class EmptyGridError(ExportError):
    """Nothing (or only specks) is left after thresholding and cleaning."""


class FullGridError(ExportError):
    """The thresholded grid is (nearly) all occupied: a collapsed sample, not a shape."""


class TipsOverError(ExportError):
    """Stood on a floor, the shape would topple further than allowed: its centre of mass is not above its feet."""


class BrokenError(ExportError):
    """The shape is in pieces: parts cut off from its main body hold more of its voxels than allowed."""


class TooFlatError(ExportError):
    """The shape is flatter (height over width) than the model's objects ever are: a slab, not an object."""
