"""The layers of a convolutional net as structural gates: ``conv2d(x, w, b, stride, pad)``
and ``max_pool2d(x, size, stride)``, with CS231n assignment 2's semantics (NCHW layout).

Both are vectorised with numpy's ``sliding_window_view`` (the windows are a view; the one
copy is the im2col matrix ``tensordot`` makes), never a Python loop per pixel. The backward
rules are the lecture's words: dL/dw is the correlation of x with dL/dout, dL/dx the full
convolution of dL/dout (spread out by the stride) with the flipped w, dL/db the sum of
dL/dout over N, H and W; max pooling routes dL/dout to the largest element of each window
(on a tie to the first of them in row-major order, as PyTorch does).

The kernels take plain numpy arrays, float64 or object arrays of exact numbers alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .array_kit import Array, Kit
from .array_spec import ArrayGate, Attrs, Shape, ShapeMismatch, Static, show_shape

# ----------------------------------------------------------------------------- kernels


def output_size(size: int, window: int, stride: int, pad: int = 0) -> int:
    """Positions of a window along one axis: 1 + (size + 2 pad - window) // stride."""
    return 1 + (size + 2 * pad - window) // stride


def _windows(a: Array, height: int, width: int, stride: int) -> Array:
    """Every height x width window of the last two axes, ``stride`` apart: a view of shape
    (..., H', W', height, width)."""
    view = sliding_window_view(a, (height, width), axis=(-2, -1))
    return view[..., ::stride, ::stride, :, :]


def _padded(x: Array, pad: int) -> Array:
    if not pad:
        return x
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=0 * x.flat[0])


def conv2d_forward(x: Array, w: Array, b: Array, stride: int, pad: int) -> Array:
    """out[n, f] = sum over c, i, j of xpad[n, c, s h + i, s w + j] w[f, c, i, j] + b[f]."""
    windows = _windows(_padded(x, pad), w.shape[2], w.shape[3], stride)
    out = np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3]))  # N, H', W', F
    return np.transpose(out, (0, 3, 1, 2)) + b[None, :, None, None]


def conv2d_backward_w(g: Array, x: Array, w: Array, stride: int, pad: int) -> Array:
    """dL/dw: the correlation of x (padded) with dL/dout."""
    windows = _windows(_padded(x, pad), w.shape[2], w.shape[3], stride)
    return np.tensordot(g, windows, axes=([0, 2, 3], [0, 2, 3]))  # F, C, HH, WW


def conv2d_backward_x(g: Array, x: Array, w: Array, stride: int, pad: int) -> Array:
    """dL/dx: the full convolution of dL/dout (spread out by the stride) with the flipped w.
    Computed as its transpose reads: every output position sends dL/dout · w back onto the
    window it read, one filter tap (i, j) at a time for all positions at once (HH x WW
    vectorised steps); the border the padding added is cut off again."""
    hh, ww = w.shape[2], w.shape[3]
    out_h, out_w = g.shape[2], g.shape[3]
    spread = np.tensordot(g, w, axes=([1], [0]))  # N, H', W', C, HH, WW
    dx = np.zeros((x.shape[0], x.shape[1], x.shape[2] + 2 * pad, x.shape[3] + 2 * pad),
                  dtype=spread.dtype)
    for i in range(hh):
        for j in range(ww):
            rows = slice(i, i + stride * (out_h - 1) + 1, stride)
            columns = slice(j, j + stride * (out_w - 1) + 1, stride)
            dx[:, :, rows, columns] += np.transpose(spread[..., i, j], (0, 3, 1, 2))
    return dx[:, :, pad:dx.shape[2] - pad, pad:dx.shape[3] - pad]


def conv2d_backward_b(g: Array) -> Array:
    """dL/db: dL/dout summed over N, H and W."""
    return np.sum(g, axis=(0, 2, 3))


def _pool_windows(x: Array, size: int, stride: int) -> Array:
    """The pooling windows, flattened: shape (..., H', W', size * size)."""
    windows = _windows(x, size, size, stride)
    return windows.reshape(*windows.shape[:-2], size * size)


def max_pool2d_forward(x: Array, size: int, stride: int) -> Array:
    return np.max(_pool_windows(x, size, stride), axis=-1)


def max_pool2d_backward(g: Array, x: Array, size: int, stride: int) -> Array:
    """dL/dx: each window's dL/dout routed to its largest element (the first of equal ones,
    in row-major order), summed where windows overlap."""
    first = np.argmax(_pool_windows(x, size, stride), axis=-1)  # (..., H', W')
    rows = np.arange(g.shape[-2])[:, None] * stride + first // size
    columns = np.arange(g.shape[-1])[None, :] * stride + first % size
    batch = np.indices(g.shape[:-2], sparse=True) if g.ndim > 2 else ()
    lead = tuple(np.expand_dims(i, (-2, -1)) for i in batch)
    dx = np.zeros(x.shape, dtype=g.dtype if g.dtype == object else float)
    np.add.at(dx, (*lead, rows, columns), g)
    return dx


# ----------------------------------------------------------------------------- gates

def _four_d(shape: Shape, name: str, layout: str) -> None:
    if len(shape) != 4:
        raise ShapeMismatch(f"{name} must be 4-d ({layout}), got shape {show_shape(shape)}")


def _conv2d_shape(shapes: Sequence[Shape], attrs: Attrs) -> Shape:
    x, w, b = shapes
    stride, pad = attrs
    _four_d(x, "x", "N x C x H x W")
    _four_d(w, "w", "F x C x HH x WW")
    both = f"x of shape {show_shape(x)} and w of shape {show_shape(w)}"
    if x[1] != w[1]:
        raise ShapeMismatch(f"{both}: x has {x[1]} channels but w expects {w[1]}")
    if b != (w[0],):
        raise ShapeMismatch(f"b of shape {show_shape(b)} must hold one bias per filter of w "
                            f"of shape {show_shape(w)}: shape {show_shape((w[0],))}")
    _stride_pad(stride, pad)
    if x[2] + 2 * pad < w[2] or x[3] + 2 * pad < w[3]:
        raise ShapeMismatch(f"{both}: the {w[2]} x {w[3]} filter does not fit in the "
                            f"{x[2]} x {x[3]} input padded by {pad}")
    return (x[0], w[0], output_size(x[2], w[2], stride, pad),
            output_size(x[3], w[3], stride, pad))


def _stride_pad(stride: int, pad: int) -> None:
    if stride < 1:
        raise ShapeMismatch(f"the stride must be at least 1, got {stride}")
    if pad < 0:
        raise ShapeMismatch(f"the padding must be at least 0, got {pad}")


def pool_size_stride(attrs: Attrs) -> tuple[int, int]:
    """(size, stride); the stride defaults to the size (windows side by side)."""
    size, stride = attrs
    return int(size), int(size if stride is None else stride)


def _pool_shape(shapes: Sequence[Shape], attrs: Attrs) -> Shape:
    x = shapes[0]
    size, stride = pool_size_stride(attrs)
    if len(x) < 2:
        raise ShapeMismatch(f"max_pool2d pools the last two axes (N x C x H x W), got shape "
                            f"{show_shape(x)}")
    if size < 1:
        raise ShapeMismatch(f"the window size must be at least 1, got {size}")
    _stride_pad(stride, 0)
    if x[-2] < size or x[-1] < size:
        raise ShapeMismatch(f"the {size} x {size} window does not fit in the "
                            f"{x[-2]} x {x[-1]} input of shape {show_shape(x)}")
    return (*x[:-2], output_size(x[-2], size, stride), output_size(x[-1], size, stride))


def _conv_vjp_x(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
    return conv2d_backward_x(g, ops[0], ops[1], *attrs)


def _conv_vjp_w(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
    return conv2d_backward_w(g, ops[0], ops[1], *attrs)


def _conv_vjp_b(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
    return conv2d_backward_b(g)


def _pool_vjp(kit: Kit, g: Array, ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
    return max_pool2d_backward(g, ops[0], *pool_size_stride(attrs))


def _pool_winners(ops: Sequence[Array], out: Array, attrs: Attrs) -> Array:
    """Which elements of each window are its largest (what a step across a tie changes)."""
    windows = _pool_windows(np.asarray(ops[0], dtype=float), *pool_size_stride(attrs))
    return windows == np.asarray(out, dtype=float)[..., None]


def _pool_ties(ops: Sequence[Array], out: Array, attrs: Attrs) -> int:
    return int(np.count_nonzero(np.sum(_pool_winners(ops, out, attrs), axis=-1) > 1))


_D = "d{L}/d"

CONV_GATES: tuple[ArrayGate, ...] = (
    ArrayGate("conv2d", ("x", "w", "b"),
              "convolution of x (N x C x H x W) with filters w (F x C x HH x WW) plus b (F): "
              "conv2d(x, w, b, stride, pad), stride 1 and pad 0 unless given",
              (f"{_D}{{x}} = the full convolution of {_D}{{out}} (spread by the stride) with "
               "the flipped {w}",
               f"{_D}{{w}} = the correlation of {{x}} (padded) with {_D}{{out}}",
               f"{_D}{{b}} = {_D}{{out}} summed over N, H and W"),
              _conv2d_shape,
              lambda kit, ops, attrs: conv2d_forward(*ops, *attrs),
              (_conv_vjp_x, _conv_vjp_w, _conv_vjp_b),
              static=(Static("stride", "int", default=1, phrase="an optional stride"),
                      Static("pad", "int", default=0, phrase="an optional padding"))),
    ArrayGate("max_pool2d", ("x",),
              "max pooling of the last two axes: max_pool2d(x, size, stride), the stride the "
              "size unless given",
              (f"{_D}{{x}} = {_D}{{out}} routed to the largest element of each window (on a "
               "tie the first, row by row), summed where windows overlap",),
              _pool_shape,
              lambda kit, ops, attrs: max_pool2d_forward(ops[0], *pool_size_stride(attrs)),
              (_pool_vjp,),
              static=(Static("size", "int", required=True, phrase="the window size"),
                      Static("stride", "int", phrase="an optional stride")),
              kink=_pool_ties, kink_where="a tie for the largest element of a window",
              kink_convention="the whole gradient to the first of them",
              sides=_pool_winners),
)
