"""bench/conv_net.py's instrument: its hand-written im2col reference computes what CS231n's
naive loops compute (so the ratio it reports is against a correct reference)."""

from __future__ import annotations

import numpy as np
from test_bench import bench
from test_conv import conv_backward_naive, conv_forward_naive


def test_the_im2col_reference_is_the_naive_layer() -> None:
    conv = bench("conv_net")
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=(2, conv.C, 5, 4)), rng.normal(size=(2, conv.C, 3, 3)), \
        rng.normal(size=2)
    out = conv_forward_naive(x, w, b, conv.STRIDE, conv.PAD)
    dout = rng.normal(size=out.shape)
    got = conv.by_hand(x, w, b, dout)
    np.testing.assert_allclose(got["out"], out, atol=1e-12)
    for name, want in zip("xwb", conv_backward_naive(dout, x, w, conv.STRIDE, conv.PAD),
                          strict=True):
        np.testing.assert_allclose(got[name], want, atol=1e-12, err_msg=name)
