"""benchmarks/shape_classifier.py: framing, block averages, and a classifier that tells boxes from crosses."""
import numpy as np

from benchmark_scripts import load_benchmark

shape_classifier = load_benchmark("shape_classifier")


def test_frame_scales_the_longest_side_to_the_grid_and_centres_it():
    g = np.zeros((32, 32, 32), bool)
    g[2:10, 0:4, 5:9] = True  # 8 x 4 x 4, off centre
    f = shape_classifier.frame(g)
    idx = np.argwhere(f)
    lo, hi = idx.min(0), idx.max(0) + 1
    assert (hi - lo)[0] == 32 and 14 <= (hi - lo)[1] <= 18
    assert abs((lo[1] + hi[1]) / 2 - 16) <= 1
    assert not shape_classifier.frame(np.zeros((8, 8, 8))).any()


def test_block_average_keeps_the_mean_and_loses_the_detail():
    rng = np.random.default_rng(0)
    g = rng.random((2, 32, 32, 32)) > 0.5
    c = shape_classifier.block_average(g, 4)
    assert c.shape == g.shape and np.isclose(c.mean(), g.mean())
    assert (c[:, :4, :4, :4] == c[:, 0, 0, 0][:, None, None, None]).all()


def test_the_classifier_tells_apart_sets_that_differ_and_not_sets_that_do_not():
    rng = np.random.default_rng(0)

    def boxes(n, cross):
        out = np.zeros((n, 32, 32, 32), np.float32)
        for g in out:
            lo = rng.integers(4, 10, 3)
            hi = lo + rng.integers(10, 18, 3)
            if cross:  # three bars through the middle
                c = (lo + hi) // 2
                g[lo[0]:hi[0], c[1] - 1:c[1] + 1, c[2] - 1:c[2] + 1] = 1
                g[c[0] - 1:c[0] + 1, lo[1]:hi[1], c[2] - 1:c[2] + 1] = 1
                g[c[0] - 1:c[0] + 1, c[1] - 1:c[1] + 1, lo[2]:hi[2]] = 1
            else:
                g[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] = 1
        return out

    net, differ = shape_classifier.train_classifier(boxes(60, False), boxes(60, True), epochs=6, test=40)
    assert differ >= 0.9
    fresh_boxes, fresh_crosses = shape_classifier.scores(net, boxes(10, False)), shape_classifier.scores(net, boxes(10, True))
    assert (fresh_boxes > 0).mean() >= 0.8 and (fresh_crosses < 0).mean() >= 0.8  # > 0: like the first set
    alike = shape_classifier.held_out_accuracy(boxes(60, False), boxes(60, False), epochs=6, test=40)
    assert alike <= 0.8  # same law on both sides: nothing to learn (40 test shapes: 0.5 +- 0.08)
