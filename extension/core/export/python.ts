/**
 * Python source pieces for the PyTorch export: identifiers, literals, and the
 * small modules the generated file defines for layers PyTorch has no class
 * for. Each helper is emitted only when a model uses it, in a fixed order, so
 * the same file always gives the same code.
 */

const KEYWORDS = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except finally for from global if ' +
    'import in is lambda nonlocal not or pass raise return try while with yield ' +
    // names the generated code itself uses, and builtins a variable must not shadow
    'self torch nn F math super print len range list tuple int float max min abs sum input type object id'
  ).split(' '),
);

/** A valid, non-reserved Python identifier made from `name`. */
export function pyIdent(name: string): string {
  let s = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(s)) s = `_${s}`;
  return KEYWORDS.has(s) ? `${s}_` : s;
}

/** `gpt_block` → `GptBlock`. */
export function pyClassName(name: string): string {
  const parts = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const camel = parts.map((p) => p[0].toUpperCase() + p.slice(1)).join('');
  return pyIdent(camel || 'Block');
}

/** A Python float literal: `0.1`, `1e-05`, `2.0`. */
export function pyFloat(n: number): string {
  const clean = Number(n.toPrecision(12));
  const s = String(clean);
  return /[.eE]/.test(s) || !Number.isFinite(clean) ? s : `${s}.0`;
}

/** `(3, 3)` for `[3, 3]`, `3` when every entry is the same and `single` allows it. */
export function pyTuple(xs: readonly number[], single = true): string {
  if (single && xs.every((x) => x === xs[0])) return String(xs[0]);
  return xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(', ')})`;
}

/** Helpers the generated file may define, in the order they appear. */
export const HELPER_ORDER = [
  'tf_same_padding',
  'CausalConv1d',
  'alibi_slopes',
  'MultiHeadAttention',
  'SinusoidalPositional',
  'LearnedPositional',
  'SinusoidalEmbedding',
  'ClsToken',
  'KerasGRU',
  'RandomFlip',
  'RandomRotation',
  'RandomCrop',
  'RandomTranslation',
  'RandomZoom',
  'Cutout',
  'RandomBrightness',
  'RandomContrast',
  'GaussianNoise',
  'DropPath',
  'LayerScale',
] as const;

export type Helper = (typeof HELPER_ORDER)[number];

/** Helpers a helper needs. */
export const HELPER_DEPS: Partial<Record<Helper, Helper[]>> = { MultiHeadAttention: ['alibi_slopes'] };

export const HELPERS: Record<Helper, string> = {
  tf_same_padding: `def tf_same_padding(x, kernel, stride, dilation):
    """F.pad widths of TensorFlow's padding='same' for the last len(kernel) axes.

    TensorFlow pads total // 2 before and the rest after, so with stride > 1 an
    odd total pads one more at the bottom/right, where PyTorch's padding=p is
    symmetric and padding='same' needs stride 1. Works for any input size.
    """
    pads = []
    sizes = x.shape[-len(kernel):]
    for n, k, s, d in reversed(list(zip(sizes, kernel, stride, dilation))):
        total = max((-(-n // s) - 1) * s + (k - 1) * d + 1 - n, 0)
        pads += [total // 2, total - total // 2]
    return pads
`,
  CausalConv1d: `class CausalConv1d(nn.Conv1d):
    """A Conv1d that pads dilation * (kernel_size - 1) zeros on the left only, so step t
    sees steps <= t and the length is kept (Keras's padding='causal')."""

    def forward(self, x):
        return super().forward(F.pad(x, (self.dilation[0] * (self.kernel_size[0] - 1), 0)))
`,
  alibi_slopes: `def alibi_slopes(heads):
    """ALiBi head slopes (Press et al., 2022): 2^(-8/n), 2^(-16/n), ... for n heads."""
    def geometric(n):
        return [2 ** (-8 * (i + 1) / n) for i in range(n)]
    p = 2 ** math.floor(math.log2(heads))
    if p == heads:
        return geometric(heads)
    return geometric(p) + geometric(2 * p)[0::2][: heads - p]
`,
  MultiHeadAttention: `class MultiHeadAttention(nn.Module):
    """Multi-head scaled dot-product attention, as nnmodel's \`attention\` layer.

    x: [batch, seq_q, dim]; context: [batch, seq_k, context_dim] (x itself for
    self-attention); pad_ids: [batch, seq_k] token ids of the keys (nnmodel's
    pad_mask): keys whose id is pad_id are hidden from every head and query.
    Four separate projections, as Keras's MultiHeadAttention, with the same
    parameter count (nn.MultiheadAttention packs q, k and v in one matrix and
    has no key_dim or ALiBi option). Masked scores get a large negative
    number added, as in nnmodel, not -inf: -2e9 for the future, -1e9 for
    padding, so that a query whose earlier keys are all padding reads that
    padding (finite weights, never NaN, never a later position).
    """

    def __init__(self, dim, heads, key_dim=None, context_dim=None, causal=False, dropout=0.0, bias=True, alibi=False, pad_id=0):
        super().__init__()
        self.heads = heads
        self.key_dim = key_dim or dim // heads
        inner = heads * self.key_dim
        context_dim = context_dim or dim
        self.query = nn.Linear(dim, inner, bias=bias)
        self.key = nn.Linear(context_dim, inner, bias=bias)
        self.value = nn.Linear(context_dim, inner, bias=bias)
        self.out = nn.Linear(inner, dim, bias=bias)
        self.causal = causal
        self.dropout = nn.Dropout(dropout)
        # A plain list, not a buffer: ALiBi adds no weights.
        self.alibi = alibi_slopes(heads) if alibi else None
        self.pad_id = pad_id

    def forward(self, x, context=None, pad_ids=None):
        context = x if context is None else context
        b, tq, tk = x.shape[0], x.shape[1], context.shape[1]
        q = self.query(x).view(b, tq, self.heads, self.key_dim).transpose(1, 2)
        k = self.key(context).view(b, tk, self.heads, self.key_dim).transpose(1, 2)
        v = self.value(context).view(b, tk, self.heads, self.key_dim).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.key_dim)  # [batch, heads, seq_q, seq_k]
        if self.alibi is not None:
            distance = (torch.arange(tq, device=x.device).view(tq, 1) - torch.arange(tk, device=x.device).view(1, tk)).abs()
            slopes = torch.tensor(self.alibi, dtype=scores.dtype, device=x.device).view(-1, 1, 1)
            scores = scores - slopes * distance
        if self.causal:  # position i attends to j <= i
            future = torch.ones(tq, tk, dtype=torch.bool, device=x.device).triu(1)
            scores = torch.where(future, scores - 2e9, scores)
        if pad_ids is not None:  # keys whose id is pad_id, hidden from every head and query
            padding = (pad_ids == self.pad_id).view(b, 1, 1, tk)
            scores = torch.where(padding, scores - 1e9, scores)
        weights = self.dropout(scores.softmax(dim=-1))
        y = (weights @ v).transpose(1, 2).reshape(b, tq, self.heads * self.key_dim)
        return self.out(y)
`,
  SinusoidalPositional: `class SinusoidalPositional(nn.Module):
    """Adds the sine/cosine position encoding of "Attention Is All You Need" (no weights)."""

    def __init__(self, maxlen):
        super().__init__()
        self.maxlen = maxlen

    def forward(self, x):
        seq, dim = x.shape[1], x.shape[2]
        if seq > self.maxlen:
            raise ValueError(f"sequence length {seq} is longer than maxlen {self.maxlen}")
        position = torch.arange(seq, dtype=x.dtype, device=x.device).unsqueeze(1)
        j = torch.arange(dim, device=x.device)
        angle = position * torch.pow(10000.0, -(2 * (j // 2)).to(x.dtype) / dim)
        return x + torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle))
`,
  LearnedPositional: `class LearnedPositional(nn.Module):
    """Adds a learned vector per position, for sequences of up to maxlen positions."""

    def __init__(self, maxlen, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(maxlen, dim).uniform_(-0.05, 0.05))

    def forward(self, x):
        seq = x.shape[1]
        if seq > self.weight.shape[0]:
            raise ValueError(f"sequence length {seq} is longer than maxlen {self.weight.shape[0]}")
        return x + self.weight[:seq]
`,
  SinusoidalEmbedding: `class SinusoidalEmbedding(nn.Module):
    """Sine/cosine features of a value t, such as a diffusion step (DDPM's timestep embedding;
    no weights): [..., 1] -> [..., dim] = [sin(t*w_0), ..., sin(t*w_{h-1}), cos(t*w_0), ...,
    cos(t*w_{h-1})], w_i = max_period ** (-i / h), h = dim // 2. Integer steps are taken as values.

    DDPM's own code divides by h - 1 instead of h (diffusers: downscale_freq_shift=1).
    """

    def __init__(self, dim, max_period=10000.0):
        super().__init__()
        self.dim = dim
        self.max_period = max_period

    def forward(self, t):
        dtype = t.dtype if t.is_floating_point() else torch.get_default_dtype()
        half = self.dim // 2
        # Frequencies in float64, rounded once: the numbers nnmodel's TensorFlow.js layer uses.
        i = torch.arange(half, dtype=torch.float64, device=t.device)
        freqs = (self.max_period ** (-i / half)).to(dtype)
        angle = t.to(dtype) * freqs  # [..., 1] * [h] -> [..., h]
        return torch.cat([torch.sin(angle), torch.cos(angle)], dim=-1)
`,
  ClsToken: `class ClsToken(nn.Module):
    """Prepends one learned token: [batch, seq, dim] -> [batch, seq + 1, dim]."""

    def __init__(self, dim):
        super().__init__()
        self.token = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        return torch.cat([self.token.expand(x.shape[0], 1, -1), x], dim=1)
`,
  KerasGRU: `class KerasGRU(nn.Module):
    """A GRU as TensorFlow.js (and Keras with reset_after=False) computes it: the reset gate scales
    the state before the recurrent product, where nn.GRU scales the product, so trained weights carry
    over only to this one. Gates z, r, h in blocks of hidden_size rows, one bias. batch_first;
    returns (outputs, last states [directions, batch, hidden]) as nn.GRU does. With bidirectional,
    a second set of weights (*_reverse) reads the sequence backwards; outputs are [forward, backward]
    per step.
    """

    def __init__(self, input_size, hidden_size, bidirectional=False):
        super().__init__()
        self.hidden_size = hidden_size
        self.bidirectional = bidirectional
        bound = 1 / math.sqrt(hidden_size)
        for suffix in ("", "_reverse") if bidirectional else ("",):
            self.register_parameter("weight_ih" + suffix, nn.Parameter(torch.empty(3 * hidden_size, input_size).uniform_(-bound, bound)))
            self.register_parameter("weight_hh" + suffix, nn.Parameter(torch.empty(3 * hidden_size, hidden_size).uniform_(-bound, bound)))
            self.register_parameter("bias" + suffix, nn.Parameter(torch.zeros(3 * hidden_size)))

    def run(self, x, weight_ih, weight_hh, bias):
        n = self.hidden_size
        xs = F.linear(x, weight_ih, bias)  # every step's input part at once: [batch, seq, 3 * hidden]
        w_zr, w_h = weight_hh[:2 * n], weight_hh[2 * n:]
        h = x.new_zeros(x.shape[0], n)
        outputs = []
        for t in range(x.shape[1]):
            zr = torch.sigmoid(xs[:, t, :2 * n] + F.linear(h, w_zr))
            z, r = zr[:, :n], zr[:, n:]
            candidate = torch.tanh(xs[:, t, 2 * n:] + F.linear(r * h, w_h))
            h = z * h + (1 - z) * candidate
            outputs.append(h)
        return torch.stack(outputs, 1), h

    def forward(self, x):
        outputs, h = self.run(x, self.weight_ih, self.weight_hh, self.bias)
        if not self.bidirectional:
            return outputs, h.unsqueeze(0)
        backward, h_back = self.run(x.flip(1), self.weight_ih_reverse, self.weight_hh_reverse, self.bias_reverse)
        return torch.cat([outputs, backward.flip(1)], 2), torch.stack([h, h_back])
`,
  RandomFlip: `class RandomFlip(nn.Module):
    """Training only: flips each image left-right and/or up-down with probability 1/2."""

    def __init__(self, horizontal=True, vertical=True):
        super().__init__()
        self.horizontal = horizontal
        self.vertical = vertical

    def forward(self, x):
        if not self.training:
            return x
        for axis, on in ((-1, self.horizontal), (-2, self.vertical)):
            if on:
                flip = torch.rand(x.shape[0], 1, 1, 1, device=x.device) < 0.5
                x = torch.where(flip, x.flip(axis), x)
        return x
`,
  RandomRotation: `class RandomRotation(nn.Module):
    """Training only: rotates each image by a random angle of up to +-factor * 360 degrees."""

    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        if not self.training or self.factor == 0:
            return x
        h, w = x.shape[-2], x.shape[-1]
        angle = (torch.rand(x.shape[0], device=x.device) * 2 - 1) * self.factor * 2 * math.pi
        cos, sin, zero = angle.cos(), angle.sin(), torch.zeros_like(angle)
        # A rotation in pixels, in affine_grid's [-1, 1] coordinates (which stretch non-square images).
        theta = torch.stack([torch.stack([cos, -sin * h / w, zero], 1), torch.stack([sin * w / h, cos, zero], 1)], 1)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
`,
  RandomCrop: `class RandomCrop(nn.Module):
    """A random height x width window in training; at inference, as Keras, the largest
    centred window of that aspect ratio, resized to height x width."""

    def __init__(self, height, width):
        super().__init__()
        self.height = height
        self.width = width

    def forward(self, x):
        H, W = x.shape[-2], x.shape[-1]
        h, w = self.height, self.width
        if self.training and H >= h and W >= w:
            top = torch.randint(0, H - h + 1, (x.shape[0],)).tolist()
            left = torch.randint(0, W - w + 1, (x.shape[0],)).tolist()
            return torch.stack([img[:, t:t + h, l:l + w] for img, t, l in zip(x, top, left)])
        ch = max(1, min(H, W * h // w))
        cw = max(1, min(W, H * w // h))
        top, left = (H - ch) // 2, (W - cw) // 2
        x = x[:, :, top:top + ch, left:left + cw]
        if (ch, cw) == (h, w):
            return x
        return F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
`,
  RandomTranslation: `class RandomTranslation(nn.Module):
    """Training only: shifts each image by up to +-height_factor of its height and
    +-width_factor of its width (bilinear; the border filled by padding_mode)."""

    def __init__(self, height_factor, width_factor=None, padding_mode="reflection"):
        super().__init__()
        self.height_factor = height_factor
        self.width_factor = height_factor if width_factor is None else width_factor
        self.padding_mode = padding_mode

    def forward(self, x):
        if not self.training or (self.height_factor == 0 and self.width_factor == 0):
            return x
        n = x.shape[0]
        # A shift of f * width pixels is 2 * f in affine_grid's [-1, 1] coordinates.
        dy = (torch.rand(n, device=x.device) * 2 - 1) * self.height_factor * 2
        dx = (torch.rand(n, device=x.device) * 2 - 1) * self.width_factor * 2
        one, zero = torch.ones_like(dx), torch.zeros_like(dx)
        theta = torch.stack([torch.stack([one, zero, -dx], 1), torch.stack([zero, one, -dy], 1)], 1)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode=self.padding_mode, align_corners=False)
`,
  RandomZoom: `class RandomZoom(nn.Module):
    """Training only: zooms each image about its centre to show 1 + z of it, z uniform in
    +-height_factor (positive zooms out); the width zooms with the height unless
    width_factor is given (bilinear; the border filled by padding_mode)."""

    def __init__(self, height_factor, width_factor=None, padding_mode="reflection"):
        super().__init__()
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.padding_mode = padding_mode

    def forward(self, x):
        if not self.training or (self.height_factor == 0 and not self.width_factor):
            return x
        n = x.shape[0]
        zy = 1 + (torch.rand(n, device=x.device) * 2 - 1) * self.height_factor
        zx = zy if self.width_factor is None else 1 + (torch.rand(n, device=x.device) * 2 - 1) * self.width_factor
        zero = torch.zeros_like(zy)
        theta = torch.stack([torch.stack([zx, zero, zero], 1), torch.stack([zero, zy, zero], 1)], 1)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode=self.padding_mode, align_corners=False)
`,
  Cutout: `class Cutout(nn.Module):
    """Training only: sets a random height x width rectangle of each image to zero in
    every channel; the rectangle lies wholly inside the image."""

    def __init__(self, height, width):
        super().__init__()
        self.height = height
        self.width = width

    def forward(self, x):
        if not self.training:
            return x
        n, H, W = x.shape[0], x.shape[-2], x.shape[-1]
        h, w = min(self.height, H), min(self.width, W)
        top = torch.randint(0, H - h + 1, (n, 1), device=x.device)
        left = torch.randint(0, W - w + 1, (n, 1), device=x.device)
        rows = torch.arange(H, device=x.device)
        cols = torch.arange(W, device=x.device)
        hole = ((rows >= top) & (rows < top + h))[:, :, None] & ((cols >= left) & (cols < left + w))[:, None, :]
        return x.masked_fill(hole[:, None], 0.0)
`,
  RandomBrightness: `class RandomBrightness(nn.Module):
    """Training only (Keras's RandomBrightness): adds to each image one delta d * (high - low),
    d uniform in [-factor, factor] (or in factor = (lower, upper)), and clamps to value_range."""

    def __init__(self, factor, value_range=(0.0, 1.0)):
        super().__init__()
        self.lower, self.upper = (-factor, factor) if isinstance(factor, (int, float)) else factor
        self.low, self.high = value_range

    def forward(self, x):
        if not self.training:
            return x
        d = self.lower + torch.rand(x.shape[0], device=x.device) * (self.upper - self.lower)
        delta = (d * (self.high - self.low)).reshape(-1, *([1] * (x.dim() - 1)))
        return (x + delta).clamp(self.low, self.high)
`,
  RandomContrast: `class RandomContrast(nn.Module):
    """Training only (Keras's RandomContrast): (x - mean) * k + mean per image and channel, the mean
    over the pixels, k uniform in [1 - factor, 1 + factor] (or [1 - lower, 1 + upper] for
    factor = (lower, upper)); clamped to [0, 255] as Keras does."""

    def __init__(self, factor):
        super().__init__()
        lower, upper = (factor, factor) if isinstance(factor, (int, float)) else factor
        self.lower, self.upper = 1.0 - lower, 1.0 + upper

    def forward(self, x):
        if not self.training:
            return x
        k = self.lower + torch.rand(x.shape[0], device=x.device) * (self.upper - self.lower)
        mean = x.mean(dim=(-2, -1), keepdim=True)
        return ((x - mean) * k.reshape(-1, 1, 1, 1) + mean).clamp(0.0, 255.0)
`,
  GaussianNoise: `class GaussianNoise(nn.Module):
    """Training only: adds noise from N(0, stddev^2) to every value."""

    def __init__(self, stddev):
        super().__init__()
        self.stddev = stddev

    def forward(self, x):
        return x + torch.randn_like(x) * self.stddev if self.training else x
`,
  DropPath: `class DropPath(nn.Module):
    """Stochastic depth (Huang et al. 2016), training only: zeroes the whole value of each example
    with probability p and scales the kept ones by 1 / (1 - p) (timm's DropPath, torchvision's
    StochasticDepth in "row" mode).
    """

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = (torch.rand(x.shape[0], *([1] * (x.dim() - 1)), device=x.device) >= self.p).to(x.dtype)
        return x * keep / (1 - self.p)
`,
  LayerScale: `class LayerScale(nn.Module):
    """A learned factor per channel (the last axis), initialised to init (CaiT, ConvNeXt)."""

    def __init__(self, dim, init=1e-6):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((dim,), float(init)))

    def forward(self, x):
        return x * self.gamma
`,
};
