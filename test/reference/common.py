"""Counting helpers shared by the PyTorch reference scripts.

The figures these scripts write are the ones the nnmodel analysis must show,
so they follow the language's conventions (Keras / TensorFlow.js), not
PyTorch's, wherever the two differ:

- Trainable parameters: `p.numel()` summed over `model.parameters()` with
  shared tensors counted once (PyTorch already de-duplicates tied weights).
- Non-trainable parameters: batch-norm running mean and variance (2·C per
  layer). Keras keeps them as weights; PyTorch keeps them as buffers, beside a
  `num_batches_tracked` counter that has no Keras counterpart and is skipped.
- MACs: multiply-accumulates of one example's forward pass, counted by
  forward hooks on the modules that do them:
    conv:            k_h·k_w·(c_in/groups)·c_out·h_out·w_out  (bias not counted)
    conv transpose:  k_h·k_w·c_in·c_out·h_in·w_in  (every input pixel scatters one kernel)
    linear:          in·out per position
    attention:       Q, K, V, output projections + QKᵀ + softmax·V (2·seq_q·seq_k·d)
    LSTM/GRU/RNN:    per time step, gates·h·(in + h)
  Element-wise work (activations, norms, pooling, adds, softmax) is not a MAC.
Per-model adjustments (e.g. PyTorch's second LSTM bias) are made by the
scripts that build the model, each with a comment giving the formula.
"""
from __future__ import annotations

import torch
from torch import nn


class Counter:
    """Attaches MAC-counting forward hooks to every module of a model."""

    def __init__(self, model: nn.Module):
        self.macs = 0
        self.handles = []
        self.patched = []
        for m in model.modules():
            if isinstance(m, nn.MultiheadAttention):
                self._wrap_mha(m)
                continue
            hook = self._hook_for(m)
            if hook is not None:
                self.handles.append(m.register_forward_hook(hook))

    def _hook_for(self, m: nn.Module):
        if isinstance(m, (nn.Conv1d, nn.Conv2d)):
            return self._conv
        if isinstance(m, (nn.ConvTranspose2d, nn.ConvTranspose1d)):
            return self._conv_transpose
        if isinstance(m, nn.Linear) and not getattr(m, "_counted_elsewhere", False):
            return self._linear
        if isinstance(m, (nn.LSTM, nn.GRU, nn.RNN)):
            return self._rnn
        return None

    def _conv(self, m, inp, out):
        # out: [batch, c_out, *spatial]; the batch is one example.
        k = 1
        for s in m.kernel_size:
            k *= s
        self.macs += k * (m.in_channels // m.groups) * out[0].numel()

    def _conv_transpose(self, m, inp, out):
        k = 1
        for s in m.kernel_size:
            k *= s
        self.macs += k * m.out_channels * (inp[0][0].numel() // m.groups)

    def _linear(self, m, inp, out):
        positions = out[0].numel() // m.out_features
        self.macs += positions * m.in_features * m.out_features

    def _wrap_mha(self, m: nn.MultiheadAttention):
        # Callers (torchvision's ViT among them) pass query/key as keywords,
        # which PyTorch 1.13's forward hooks do not see: wrap forward instead.
        # nn.MultiheadAttention does its projections inside
        # F.multi_head_attention_forward, so no Linear hook sees them
        # (out_proj is flagged `_counted_elsewhere` by `mark_mha`).
        original = m.forward

        def forward(query, key, value, *args, **kwargs):
            q, k = (query[0], key[0]) if m.batch_first else (query[:, 0], key[:, 0])
            lq, dq = q.shape
            lk, dk = k.shape
            d = m.embed_dim
            self.macs += lq * dq * d + 2 * lk * dk * d + lq * d * d  # Q, K, V, output projections
            self.macs += 2 * lq * lk * d  # QKᵀ and softmax·V over all heads
            return original(query, key, value, *args, **kwargs)

        m.forward = forward
        self.patched.append(m)

    def _rnn(self, m, inp, out):
        x = inp[0]
        steps = x.shape[1] if m.batch_first else x.shape[0]
        gates = {nn.LSTM: 4, nn.GRU: 3, nn.RNN: 1}[type(m)]
        h = m.hidden_size
        directions = 2 if m.bidirectional else 1
        self.macs += directions * steps * gates * h * (m.input_size + h)

    def close(self):
        for h in self.handles:
            h.remove()
        for m in self.patched:
            del m.forward


def mark_mha(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.MultiheadAttention):
            m.out_proj._counted_elsewhere = True


def trainable(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def batchnorm_stats(model: nn.Module) -> int:
    n = 0
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            n += m.running_mean.numel() + m.running_var.numel()
    return n


def measure(model: nn.Module, *inputs: torch.Tensor):
    """Runs one example (batch 1) in eval mode; returns (macs, outputs without batch)."""
    mark_mha(model)
    model.eval()
    counter = Counter(model)
    # Gradients stay enabled on purpose: in eval mode under no_grad, PyTorch
    # 1.13 runs attention and transformer layers through fused "fast path"
    # kernels that skip the submodules' forward hooks.
    out = model(*inputs)
    counter.close()
    return counter.macs, out[0]


def channels_last(shape: torch.Size) -> list:
    """PyTorch's [C, *spatial] as the language's channels-last [*spatial, C]."""
    return list(shape[1:]) + [shape[0]]


def shape_text(template: list, actual, symbols: dict) -> str:
    """The output shape as the analysis prints it (`[seq, 50257]`), after
    checking that the torch output has that shape for the stated symbol values."""
    concrete = [symbols[d] if isinstance(d, str) else d for d in template]
    if list(actual) != concrete:
        raise AssertionError(f"torch output {list(actual)} != expected {concrete} from {template}")
    return "[" + ", ".join(str(d) for d in template) + "]"


def entry(file, model, net, inputs, out_template, symbols=None, trainable_adjust=0,
          non_trainable_adjust=0, macs_adjust=0, spatial_output=False, notes=""):
    """One figure: the torch model's counts plus stated convention adjustments."""
    symbols = symbols or {}
    macs, out = measure(net, *inputs)
    torch_trainable = trainable(net)
    return {
        "file": file,
        "model": model,
        "symbols": symbols,
        "trainable": torch_trainable + trainable_adjust,
        "nonTrainable": batchnorm_stats(net) + non_trainable_adjust,
        "macs": macs + macs_adjust,
        "output": shape_text(out_template, channels_last(out.shape) if spatial_output else out.shape, symbols),
        "torch": {"trainable": torch_trainable, "macs": macs, "module": type(net).__name__},
        "notes": notes,
    }
