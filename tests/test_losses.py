import math

import torch

from iggan.losses import d_loss, dom_loss, dom_rank_correlation, g_loss, image_l2, move_dom_loss, nn_spread, r1_penalty
from iggan.render.protocol import binarise, sample_thresholds


def test_dom_matches_a_hand_computed_case():
    # log D = logsigmoid(logit). Proxy logit 0 -> log 0.5; references: logits 0 and log(3) -> log 0.5, log 0.75.
    proxy = torch.tensor([0.0])
    refs = torch.tensor([[0.0, math.log(3.0)]])
    expected = (math.log(0.5) - 0.5 * (math.log(0.5) + math.log(0.75))) ** 2
    assert abs(dom_loss(proxy, refs).item() - expected) < 1e-6


def test_dom_gradient_reaches_only_the_proxy_side():
    proxy = torch.tensor([0.3], requires_grad=True)
    refs = torch.tensor([[1.0, -1.0]], requires_grad=True)
    dom_loss(proxy, refs).backward()
    assert proxy.grad.abs().item() > 0
    assert refs.grad is None


def test_gan_losses_and_l2():
    assert abs(d_loss(torch.zeros(4), torch.zeros(4)).item() - 2 * math.log(2)) < 1e-6
    assert g_loss(torch.full((3,), 10.0)).item() < 1e-4  # fooled D: almost no loss
    assert image_l2(torch.ones(2, 1, 4, 4), torch.zeros(2, 1, 4, 4)).item() == 1.0


def test_r1_is_zero_for_a_constant_discriminator_and_positive_otherwise():
    x = torch.randn(3, 1, 4, 4, requires_grad=True)
    assert r1_penalty((x * 0).sum((1, 2, 3)), x).item() == 0.0
    assert abs(r1_penalty((2 * x).sum((1, 2, 3)), x).item() - 4 * 16) < 1e-4


def test_thresholds_are_uniform_and_binarise_is_per_sample():
    t = sample_thresholds(20000, torch.Generator().manual_seed(0))
    assert 0 <= t.min() and t.max() < 1
    hist = torch.histc(t, bins=10, min=0, max=1)
    assert (hist / 20000 - 0.1).abs().max() < 0.015
    x = torch.tensor([[0.2, 0.6, 0.9], [0.2, 0.6, 0.9]], requires_grad=True)
    out = binarise(x, torch.tensor([0.5, 0.1]))
    assert out.tolist() == [[0, 1, 1], [1, 1, 1]]
    assert not out.requires_grad  # nothing flows back through binarisation


def test_dom_rank_correlation_measures_order_not_values():
    refs = torch.tensor([[0.0, 0.2], [1.0, 1.2], [2.0, 2.2], [3.0, 3.2]])  # means 0.1, 1.1, 2.1, 3.1
    assert abs(dom_rank_correlation(torch.tensor([-5.0, -4.9, 0.0, 7.0]), refs) - 1.0) < 1e-6  # same order
    assert abs(dom_rank_correlation(torch.tensor([3.0, 2.0, 1.0, 0.0]), refs) + 1.0) < 1e-6  # reversed
    swapped = dom_rank_correlation(torch.tensor([1.0, 0.0, 2.0, 3.0]), refs)  # one neighbour pair swapped
    assert abs(swapped - 0.8) < 1e-6
    assert dom_rank_correlation(torch.tensor([0.5]), torch.tensor([[1.0, 2.0]])) == 0.0  # one sample: no order


def test_move_dom_matches_changes_not_values_and_trains_only_the_proxy_side():
    src, moved = torch.tensor([0.5, -1.0]), torch.tensor([2.0, -3.0])
    assert move_dom_loss(src, moved, src, moved).item() == 0.0
    # the proxy's verdict does not change with the move; the reference's does: loss = its change squared
    change = torch.nn.functional.logsigmoid(moved) - torch.nn.functional.logsigmoid(src)
    flat = torch.zeros(2, requires_grad=True)
    ref_src, ref_moved = src.clone().requires_grad_(True), moved.clone().requires_grad_(True)
    loss = move_dom_loss(flat, flat, ref_src, ref_moved)
    assert abs(loss.item() - change.pow(2).mean().item()) < 1e-6
    proxy_src, proxy_moved = torch.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    move_dom_loss(proxy_src, proxy_moved, ref_src, ref_moved).backward()
    assert proxy_moved.grad.abs().sum() > 0 and ref_src.grad is None and ref_moved.grad is None


def test_nn_spread_is_the_mean_log_nearest_neighbour_distance_and_climbing_it_separates_the_closest():
    a = torch.zeros(1, 1, 2, 2, 2)
    b = a.clone()
    b[0, 0, 0, 0, 0] = 1.0  # 1 of 8 voxels differs from a
    c = torch.ones(1, 1, 2, 2, 2)  # far from both
    grids = torch.cat([a, b, c])
    # nearest: a <-> b at 1/8, c -> b at 7/8
    want = (2 * math.log(1 / 8 + 1e-4) + math.log(7 / 8 + 1e-4)) / 3
    assert math.isclose(nn_spread(grids).item(), want, rel_tol=1e-5)
    # identical samples stay finite, at the floor
    assert math.isclose(nn_spread(torch.zeros(2, 1, 2, 2, 2)).item(), math.log(1e-4), rel_tol=1e-5)
    # one gradient step up moves the two close samples apart and leaves the lone far one's neighbour alone
    x = (0.4 + 0.2 * torch.rand(4, 1, 3, 3, 3)).requires_grad_(True)
    x.data[1] = x.data[0] + 0.01  # 0 and 1 are each other's nearest
    d01 = (x[0] - x[1]).abs().mean().item()
    nn_spread(x).backward()
    with torch.no_grad():
        x += 0.05 * x.grad.sign()
    assert (x[0] - x[1]).abs().mean().item() > d01 + 0.05
