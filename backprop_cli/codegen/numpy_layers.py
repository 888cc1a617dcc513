"""The numpy code of the convolutional layers (conv2d, max_pool2d): helper functions printed
at the top of the code, the forward and gradient expressions of the flat style, and the gate
classes of the modular style. The helpers are plain numpy with ``sliding_window_view``, the
way the engine computes them (``gates/conv.py``), so the code prints the numbers ``eval``
shows."""

from __future__ import annotations

from typing import Any

from ..gates.conv import pool_size_stride

LAYER_HELPERS = {
    "sliding_windows": '''def sliding_windows(a, height, width, stride):
    """Every height x width window of the last two axes, stride apart (a view)."""
    view = np.lib.stride_tricks.sliding_window_view(a, (height, width), axis=(-2, -1))
    return view[..., ::stride, ::stride, :, :]''',
    "conv2d_forward": '''def conv2d_forward(x, w, b, stride, pad):
    """out[n, f, h, w] = sum over c, i, j of xpad[n, c, s h + i, s w + j] w[f, c, i, j] + b[f]."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_windows(xp, w.shape[2], w.shape[3], stride)
    out = np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3]))
    return out.transpose(0, 3, 1, 2) + b[None, :, None, None]''',
    "conv2d_grad_w": '''def conv2d_grad_w(dout, x, w, stride, pad):
    """dL/dw: the correlation of x (padded) with dL/dout."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_windows(xp, w.shape[2], w.shape[3], stride)
    return np.tensordot(dout, windows, axes=([0, 2, 3], [0, 2, 3]))''',
    "conv2d_grad_x": '''def conv2d_grad_x(dout, x, w, stride, pad):
    """dL/dx: the full convolution of dL/dout with the flipped w, as its transpose reads:
    every output position sends dout * w back onto the window it read, one filter tap at
    a time."""
    out_h, out_w = dout.shape[2], dout.shape[3]
    spread = np.tensordot(dout, w, axes=([1], [0]))  # N, H', W', C, HH, WW
    dxp = np.zeros((x.shape[0], x.shape[1], x.shape[2] + 2 * pad, x.shape[3] + 2 * pad))
    for i in range(w.shape[2]):
        for j in range(w.shape[3]):
            rows = slice(i, i + stride * (out_h - 1) + 1, stride)
            columns = slice(j, j + stride * (out_w - 1) + 1, stride)
            dxp[:, :, rows, columns] += spread[..., i, j].transpose(0, 3, 1, 2)
    return dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]''',
    "max_pool2d_forward": '''def max_pool2d_forward(x, size, stride):
    """The largest element of every size x size window of the last two axes."""
    windows = sliding_windows(x, size, size, stride)
    return np.max(windows.reshape(*windows.shape[:-2], -1), axis=-1)''',
    "max_pool2d_grad": '''def max_pool2d_grad(dout, x, size, stride):
    """dL/dx: each window's dL/dout to its largest element (the first of equal ones)."""
    windows = sliding_windows(x, size, size, stride)
    first = np.argmax(windows.reshape(*windows.shape[:-2], -1), axis=-1)
    rows = np.arange(dout.shape[-2])[:, None] * stride + first // size
    columns = np.arange(dout.shape[-1])[None, :] * stride + first % size
    lead = tuple(i[..., None, None] for i in np.indices(dout.shape[:-2], sparse=True))
    dx = np.zeros(x.shape)
    np.add.at(dx, (*lead, rows, columns), dout)  # overlapping windows add up
    return dx''',
}
LAYER_GATE_HELPERS = {
    "conv2d": ("sliding_windows", "conv2d_forward", "conv2d_grad_w", "conv2d_grad_x"),
    "max_pool2d": ("sliding_windows", "max_pool2d_forward", "max_pool2d_grad"),
}


def layer_arguments(gate: str, attrs: tuple[Any, ...]) -> str:
    """The literal arguments of a layer's helpers: ``1, 1`` (stride, pad) or ``2, 2``."""
    numbers = pool_size_stride(attrs) if gate == "max_pool2d" else attrs
    return ", ".join(str(int(n)) for n in numbers)


def layer_forward(gate: str, operands: list[str], attrs: tuple[Any, ...]) -> str:
    return f"{gate}_forward({', '.join(operands)}, {layer_arguments(gate, attrs)})"


def layer_gradient(gate: str, g: str, operands: list[str], attrs: tuple[Any, ...],
                   position: int) -> str:
    """dL/dx, dL/dw, dL/db of conv2d; dL/dx of max_pool2d."""
    arguments = layer_arguments(gate, attrs)
    if gate == "max_pool2d":
        return f"max_pool2d_grad({g}, {operands[0]}, {arguments})"
    x, w = operands[0], operands[1]
    return (f"conv2d_grad_x({g}, {x}, {w}, {arguments})",
            f"conv2d_grad_w({g}, {x}, {w}, {arguments})",
            f"np.sum({g}, axis=(0, 2, 3))")[position]


LAYER_CLASSES = {
    "conv2d": '''    def __init__(self, stride=1, pad=0):
        self.stride = stride
        self.pad = pad

    def forward(self, x, w, b):
        self.x = x
        self.w = w
        return conv2d_forward(x, w, b, self.stride, self.pad)

    def backward(self, upstream):
        dx = conv2d_grad_x(upstream, self.x, self.w, self.stride, self.pad)
        dw = conv2d_grad_w(upstream, self.x, self.w, self.stride, self.pad)
        return dx, dw, np.sum(upstream, axis=(0, 2, 3))''',
    "max_pool2d": '''    def __init__(self, size, stride):
        self.size = size
        self.stride = stride

    def forward(self, x):
        self.x = x
        return max_pool2d_forward(x, self.size, self.stride)

    def backward(self, upstream):
        return max_pool2d_grad(upstream, self.x, self.size, self.stride)''',
}
