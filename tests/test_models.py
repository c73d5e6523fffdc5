import pytest
import torch

from iggan.cameras import sample_views
from iggan.config import preset
from iggan.models.dcgan2d import ImageGenerator
from iggan.models.discriminator import Discriminator
from iggan.models.generator import VoxelGenerator
from iggan.models.neural_renderer import NeuralRenderer


@pytest.mark.parametrize("res", [16, 32])
def test_generator_shapes_ranges_and_sparse_start(res):
    cfg = preset("tiny").model
    cfg.voxel_res = res
    g = VoxelGenerator(cfg)
    x = g(torch.randn(3, cfg.z_dim))
    assert x.shape == (3, 1, res, res, res)
    assert 0 <= x.min() and x.max() <= 1
    assert abs(x.mean().item() - cfg.initial_occupancy) < 0.08  # starts mostly empty


def test_generator_64_cubed_and_two_channels():
    cfg = preset("tiny").model
    cfg.voxel_res, cfg.voxel_channels = 64, 2
    assert VoxelGenerator(cfg)(torch.randn(1, cfg.z_dim)).shape == (1, 2, 64, 64, 64)
    cfg.voxel_res = 48
    with pytest.raises(ValueError, match="power of two"):
        VoxelGenerator(cfg)


@pytest.mark.parametrize("upsample", ["transposed", "resize"])
def test_generator_upsampling_kinds_and_the_parity_pattern_only_transposed_convolutions_make(upsample):
    from iggan.models.generator import _upsampling
    cfg = preset("tiny").model
    cfg.voxel_res, cfg.gen_upsample = 32, upsample
    x = VoxelGenerator(cfg)(torch.randn(2, cfg.z_dim))
    assert x.shape == (2, 1, 32, 32, 32) and 0 <= x.min() and x.max() <= 1
    assert abs(x.mean().item() - cfg.initial_occupancy) < 0.08
    # a constant input: a transposed convolution's output alternates with the parity of the voxel (its taps
    # overlap unevenly); nearest doubling + a 3^3 convolution gives a constant interior
    torch.manual_seed(0)
    layer = _upsampling(4, 1, upsample)
    with torch.no_grad():
        inner = layer(torch.ones(1, 4, 6, 6, 6))[0, 0, 2:-2, 2:-2, 2:-2]
    spread = (inner.max() - inner.min()).item()
    assert (spread > 1e-3) if upsample == "transposed" else (spread < 1e-6)


def test_an_unknown_upsampling_is_named():
    cfg = preset("tiny").model
    cfg.gen_upsample = "bicubic"
    with pytest.raises(ValueError, match="'transposed' or 'resize'"):
        VoxelGenerator(cfg)


def test_a_symmetric_generator_mirrors_along_x_with_the_same_weights():
    cfg = preset("tiny").model
    plain = VoxelGenerator(cfg)
    cfg.symmetric = True
    sym = VoxelGenerator(cfg)
    sym.load_state_dict(plain.state_dict())  # no extra weights: a plain G's checkpoint fits
    z = torch.randn(2, cfg.z_dim)
    a, b = plain(z), sym(z)
    assert not torch.allclose(a, a.flip(2))  # a plain G is not symmetric ...
    assert torch.equal(b, b.flip(2))  # ... a symmetric one is, exactly, about the middle x plane
    assert torch.allclose(b, 0.5 * (a + a.flip(2)))  # the mean of the grid and its mirror image
    assert not torch.equal(b, b.flip(4))  # only x is mirrored


def test_discriminator_proxy_and_dcgan2d_shapes():
    cfg = preset("tiny")
    m = cfg.model
    d = Discriminator(m)
    assert d(torch.rand(5, 1, m.image_size, m.image_size)).shape == (5,)
    r = NeuralRenderer(m)
    img = r(torch.rand(2, 1, m.voxel_res, m.voxel_res, m.voxel_res), sample_views(2, cfg.views))
    assert img.shape == (2, 1, m.image_size, m.image_size)
    g2 = ImageGenerator(m)
    out = g2(torch.randn(4, m.z_dim))
    assert out.shape == (4, 1, m.image_size, m.image_size) and 0 <= out.min() and out.max() <= 1


def test_spectral_norm_bounds_discriminator_layers():
    d = Discriminator(preset("tiny").model)
    d.train()
    for _ in range(30):  # power iterations converge
        d(torch.rand(2, 1, 32, 32))
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    for conv in convs:
        w = conv.weight.detach().flatten(1)
        assert torch.linalg.matrix_norm(w, ord=2) < 1.1


def test_proxy_poses_at_most_one_sample_per_voxel_and_upsamples_in_2d():
    cfg = preset("tiny")
    m = cfg.model  # tiny: 16^3 voxels, 32 px
    for name in ("tiny", "fast", "paper"):  # every preset's proxy keeps its layout (pose = image size)
        pm = preset(name).model
        assert pm.pose_size == pm.image_size
    m.image_size = 128  # finer images than 2 samples per voxel: pose at 2 * 16 = 32, upsample 4x in 2D
    assert m.pose_size == 32
    r = NeuralRenderer(m)
    vox = torch.rand(2, 1, 16, 16, 16, requires_grad=True)
    img = r(vox, sample_views(2, cfg.views))
    assert img.shape == (2, 1, 128, 128)
    img.mean().backward()
    assert vox.grad is not None and vox.grad.abs().sum() > 0
    m.proxy_pose_size = 128  # explicit: the old layout, pose at image size, more 3D work
    full = NeuralRenderer(m)
    assert full(vox, sample_views(2, cfg.views)).shape == (2, 1, 128, 128)
    assert sum(p.numel() for p in full.parameters()) > sum(p.numel() for p in r.parameters())
    for bad in (48, 256, 2):
        m.proxy_pose_size = bad
        with pytest.raises(ValueError, match="pose size"):
            NeuralRenderer(m)


def test_minibatch_std_sees_the_spread_of_consecutive_groups_only():
    from iggan.models.discriminator import minibatch_std

    same = torch.ones(4, 3, 2, 2)
    varied = torch.randn(4, 3, 2, 2)
    out = minibatch_std(torch.cat([same, varied]), 4)  # (8, 1, 2, 2): two groups, never mixed
    assert out.shape == (8, 1, 2, 2)
    assert out[:4].max() < 1e-3 and out[4:].min() > 0.1
    assert torch.equal(out[4:], out[4:5].expand(4, -1, -1, -1))  # one value per group
    assert minibatch_std(torch.randn(6, 3, 2, 2), 4).shape == (6, 1, 2, 2)  # 6 images: groups of 2


def test_a_discriminator_with_the_minibatch_std_feature_reacts_to_batch_variety():
    import dataclasses

    m = dataclasses.replace(preset("tiny").model, disc_minibatch_std=4)
    d = Discriminator(m).eval()
    torch.manual_seed(0)
    one = torch.rand(1, 1, m.image_size, m.image_size)
    alone = d(one.repeat(4, 1, 1, 1))[0]
    mixed = d(torch.cat([one, torch.rand(3, 1, m.image_size, m.image_size)]))[0]
    assert not torch.allclose(alone, mixed)  # the same image scores differently among others
    with pytest.raises(ValueError, match="disc_minibatch_std"):
        Discriminator(dataclasses.replace(m, disc_minibatch_std=-1))
