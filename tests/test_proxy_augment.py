import torch

from iggan.proxy_augment import cut_box, dilate, erode, erode_axis, perturb


def _box(res: int = 8, lo: int = 2, hi: int = 6) -> torch.Tensor:
    x = torch.zeros(1, 1, res, res, res)
    x[..., lo:hi, lo:hi, lo:hi] = 1
    return x


def test_erode_and_dilate_move_the_surface_by_one_voxel():
    box = _box()  # 4^3 solid
    assert erode(box).sum() == 8  # 2^3 core
    assert dilate(box).sum() == 64 + 6 * 16  # one face layer on each of 6 sides
    assert torch.equal(erode(dilate(box)), box)  # a box is closed under the pair
    # no wrap-around: a voxel at the border does not reappear on the other side
    corner = torch.zeros(1, 1, 4, 4, 4)
    corner[..., 0, 0, 0] = 1
    assert dilate(corner)[..., 3, 0, 0].sum() == 0 and dilate(corner).sum() == 4


def test_erode_axis_thins_along_one_axis_only():
    thin = erode_axis(_box(), axis=1, step=1)
    assert thin.sum() == 48  # 4 x 3 x 4
    # a voxel stays if its neighbour at y-1 is solid: the bottom layer (y=2) goes
    assert thin[0, 0, 2:6, 3:6, 2:6].all() and thin[0, 0, :, 2, :].sum() == 0


def test_cut_box_only_removes_voxels():
    x = _box(16, 2, 14)
    cut = cut_box(x, torch.Generator().manual_seed(0))
    assert cut.sum() < x.sum() and torch.all(cut <= x)


def test_perturb_is_seeded_binary_and_never_empties_a_grid():
    # one-voxel-thin plates vanish under erosion: perturb must leave those grids as they were
    plates = torch.zeros(32, 1, 8, 8, 8)
    plates[:, :, 1:7, 1:7, 4] = 1
    a = perturb(plates, torch.Generator().manual_seed(3))
    b = perturb(plates, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    assert set(a.unique().tolist()) <= {0.0, 1.0}
    assert (a.flatten(1).sum(1) > 0).all()
    assert (a != plates).flatten(1).any(1).any()  # most moves change something
