"""Evaluation: a feature network for FID/KID (`classifier`), image metrics (`image_metrics`), 3D
shape metrics on yaw-minimised Chamfer distance (`shape_metrics`) and the end-to-end evaluation of
a run (`evaluate`)."""
