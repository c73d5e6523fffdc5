"""Do the real chairs G misses in 3D also stand out in image features? Prints Spearman correlations.

For 200 real training chairs (ModelNet 589:789) and 200 bundled-chairs samples: per real chair, the
distance to the nearest generated shape (yaw-minimised Chamfer, as `evaluate`) and the mean over 4 of its
renders of the distance to the nearest of 800 generated renders in the eval classifier's 256-d features;
each also as a ratio to the same distance to the other real chairs (> 1: nearer to reals than to G, i.e.
not covered). If image features saw what G misses, a coverage-weighted draw of the real images would be a
2D-only way to ask G for the rare kinds.

    PYOPENGL_PLATFORM=osmesa python benchmarks/coverage_features.py    # about 160 s on 2 cores
"""
import numpy as np, torch, time
from scipy.stats import spearmanr
from iggan.eval.models import load_grids, load_subject
from iggan.eval.evaluate import render_samples
from iggan.eval.classifier import load_classifier, extract_features
from iggan.eval.shape_metrics import chamfer_matrix, point_clouds
from iggan.render.reference import PyrenderRenderer
from iggan.cameras import sample_views
t0 = time.time()
N, V = 200, 4
subject = load_subject("chairs")
real = load_grids("../shared/data/modelnet10-chairs-32.npz", slice(589, 789), "z")
gen_imgs, gen = render_samples(subject, N * V, 0)  # 800 samples, one view each
gen = gen[:N]
cfg = subject.config
r = PyrenderRenderer(cfg.model.image_size, cfg.views)
views = sample_views(N * V, cfg.views, torch.Generator().manual_seed(11))
real_imgs = np.stack([r.render_grid(real[i // V], float(views.azimuth[i]), float(views.elevation[i])) for i in range(N * V)])
net, _ = load_classifier()
fg, fr = extract_features(net, gen_imgs), extract_features(net, real_imgs)
print(f"rendered + features in {time.time()-t0:.0f} s", flush=True)
# per real object: mean over its views of the distance to the nearest generated image feature
d_img = ((fr[:, None, :] - fg[None, :, :]) ** 2).sum(-1) ** 0.5  # (N*V, N*V)
img_nn = d_img.min(1).reshape(N, V).mean(1)
# same for real vs other real objects' images (the scale: is the real object isolated among reals too?)
d_rr_img = ((fr[:, None, :] - fr[None, :, :]) ** 2).sum(-1) ** 0.5
own = np.repeat(np.arange(N), V)
d_rr_img[own[:, None] == own[None, :]] = np.inf
img_nn_real = d_rr_img.min(1).reshape(N, V).mean(1)
x, y = point_clouds(gen, 512, 0), point_clouds(real, 512, 1)
d_gr = chamfer_matrix(x, y); d_rr = chamfer_matrix(y); np.fill_diagonal(d_rr, np.inf)
cd_nn = d_gr.min(0)  # per real: nearest generated
cd_nn_real = d_rr.min(1)
print("Spearman(image-feature NN dist to G, Chamfer NN dist to G) over 200 real chairs:", spearmanr(img_nn, cd_nn))
print("Spearman of the ratios (to G / to other reals): image", spearmanr(img_nn / img_nn_real, cd_nn / cd_nn_real))
# does the 3D 'missed' set (top 20% by Chamfer ratio) sit higher in image ratio?
ratio_cd, ratio_img = cd_nn / cd_nn_real, img_nn / img_nn_real
top = ratio_cd >= np.quantile(ratio_cd, 0.8)
print(f"image ratio: missed-in-3D top 20% {ratio_img[top].mean():.3f} vs rest {ratio_img[~top].mean():.3f}; overall mean {ratio_img.mean():.3f}")
print(f"chamfer ratio mean {ratio_cd.mean():.3f}; {time.time()-t0:.0f} s")
