"""PyTorch equivalents of the attention examples: GPT-2 small, the small GPT,
ViT-B/16 (torchvision) and a small ViT, and the encoder-decoder Transformer.

nn.MultiheadAttention has the same parameters as a Keras MultiHeadAttention
with key_dim·heads = d: 4·(d·d + d). Its MACs are counted by the hook in
common.py from the query and key lengths.
"""
import math

import torch
import torchvision
from torch import nn

from common import entry


def causal_mask(n: int) -> torch.Tensor:
    return torch.triu(torch.full((n, n), float("-inf")), 1)


class GptBlock(nn.Module):
    """The contract's gpt_block: pre-norm, causal self-attention, 4·dim GELU MLP."""

    def __init__(self, dim, heads, p=0.1):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=0.0, batch_first=True)
        self.drop1 = nn.Dropout(p)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim), nn.Dropout(p))

    def forward(self, x):
        h = self.ln1(x)
        a, _ = self.attn(h, h, h, attn_mask=causal_mask(x.shape[1]), need_weights=False)
        x = x + self.drop1(a)
        return x + self.mlp(self.ln2(x))


class Gpt(nn.Module):
    """Radford et al. 2019: token + learned position embeddings, pre-norm blocks,
    final layer norm, output projection tied to the token embedding."""

    def __init__(self, vocab, dim, heads, layers, maxlen):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Parameter(torch.zeros(maxlen, dim))
        self.drop = nn.Dropout(0.1)
        self.blocks = nn.Sequential(*[GptBlock(dim, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(dim)
        # Tied: the same tensor, so parameters() counts it once (unembed(wte)).
        self.head = nn.Linear(dim, vocab, bias=False)
        self.head.weight = self.wte.weight

    def forward(self, tokens):
        h = self.drop(self.wte(tokens) + self.wpe[: tokens.shape[1]])
        return self.head(self.ln_f(self.blocks(h)))


def gpt2_small():
    seq = 1024
    net = Gpt(50257, 768, 12, 12, 1024)
    return entry("gpt2_small.nnmodel", "GPT2Small", net, [torch.zeros(1, seq, dtype=torch.long)], ["seq", 50257],
                 symbols={"seq": seq}, notes="hand-built GPT-2 small (124M), tied output projection")


def gpt_small():
    seq = 64
    net = Gpt(64, 128, 4, 4, 64)
    return entry("gpt_small.nnmodel", "GPTSmall", net, [torch.zeros(1, seq, dtype=torch.long)], ["seq", 64],
                 symbols={"seq": seq}, notes="4 layers, dim 128, 4 heads, char vocabulary of 64, context 64; ends with softmax")


def vit_b16():
    # Dosovitskiy et al. 2021, torchvision's implementation: 16×16 patches by a
    # stride-16 conv, class token, learned positions for 197 tokens, 12 pre-norm
    # blocks, final layer norm, linear head on the class token.
    net = torchvision.models.vit_b_16()
    return entry("vit.nnmodel", "ViT_B16", net, [torch.zeros(1, 3, 224, 224)], [1000],
                 notes="torchvision.models.vit_b_16; our model takes the class token before the final layernorm "
                       "(torchvision normalises all 197 tokens first): same parameters, no MACs either way")


class VitSmall(nn.Module):
    def __init__(self, dim=64, heads=4, layers=4, patch=4, size=32, classes=3):
        super().__init__()
        tokens = (size // patch) ** 2 + 1
        self.patch = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.zeros(1, tokens, dim))
        layer = nn.TransformerEncoderLayer(dim, heads, 4 * dim, dropout=0.1, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.ln = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        x = self.encoder(x)
        return torch.softmax(self.head(self.ln(x[:, 0])), -1)


def vit_small():
    return entry("vit.nnmodel", "ViTSmall", VitSmall(), [torch.zeros(1, 3, 32, 32)], [3])


class EncoderDecoder(nn.Module):
    """Vaswani et al. 2017: post-norm layers, ReLU feed-forward, sinusoidal
    positions, one embedding shared by source, target and the output projection.
    `learned_maxlen`: a learned position table of that many rows per stream
    instead of the sinusoids (TinyTransformer)."""

    def __init__(self, vocab, dim, heads, ff, layers, learned_maxlen=None):
        super().__init__()
        self.dim = dim
        self.emb = nn.Embedding(vocab, dim)
        self.learned = learned_maxlen is not None
        if self.learned:
            self.src_pos = nn.Parameter(torch.zeros(learned_maxlen, dim))
            self.tgt_pos = nn.Parameter(torch.zeros(learned_maxlen, dim))
        enc = nn.TransformerEncoderLayer(dim, heads, ff, dropout=0.1, batch_first=True)
        dec = nn.TransformerDecoderLayer(dim, heads, ff, dropout=0.1, batch_first=True)
        # No final norm after either stack: the paper's post-norm layers end in one.
        self.encoder = nn.TransformerEncoder(enc, layers, enable_nested_tensor=False)
        self.decoder = nn.TransformerDecoder(dec, layers)
        self.head = nn.Linear(dim, vocab, bias=False)
        self.head.weight = self.emb.weight

    def positions(self, n):
        pos = torch.arange(n).unsqueeze(1)
        div = torch.exp(torch.arange(0, self.dim, 2) * (-math.log(10000.0) / self.dim))
        pe = torch.zeros(n, self.dim)
        pe[:, 0::2] = torch.sin(pos * div)
        pe[:, 1::2] = torch.cos(pos * div)
        return pe

    def forward(self, src, tgt):
        s, t = src.shape[1], tgt.shape[1]
        src_pos = self.src_pos[:s] if self.learned else self.positions(s)
        tgt_pos = self.tgt_pos[:t] if self.learned else self.positions(t)
        memory = self.encoder(self.emb(src) + src_pos)
        h = self.decoder(self.emb(tgt) + tgt_pos, memory, tgt_mask=causal_mask(t))
        return torch.softmax(self.head(h), -1)


def transformer_base():
    src, tgt = 64, 48
    net = EncoderDecoder(37000, 512, 8, 2048, 6)
    return entry("transformer.nnmodel", "TransformerBase", net,
                 [torch.zeros(1, src, dtype=torch.long), torch.zeros(1, tgt, dtype=torch.long)], ["tgt_len", 37000],
                 symbols={"src_len": src, "tgt_len": tgt}, notes="base model: d 512, 8 heads, ff 2048, 6+6 layers")


def transformer_tiny():
    src, tgt = 16, 16
    net = EncoderDecoder(16, 64, 4, 256, 2, learned_maxlen=64)
    return entry("transformer.nnmodel", "TinyTransformer", net,
                 [torch.zeros(1, src, dtype=torch.long), torch.zeros(1, tgt, dtype=torch.long)], ["tgt_len", 16],
                 symbols={"src_len": src, "tgt_len": tgt},
                 notes="d 64, 4 heads, ff 256, 2+2 layers, vocabulary 16, learned positions (maxlen 64)")


def alibi_bias(heads: int, n: int) -> torch.Tensor:
    """Press et al. 2022, both ways (an encoder): -m_h·|i - j|, slopes 2^(-8h/heads). No parameters."""
    slopes = torch.tensor([2 ** (-8 * (h + 1) / heads) for h in range(heads)])
    dist = (torch.arange(n)[None, :] - torch.arange(n)[:, None]).abs().float()
    return -slopes[:, None, None] * dist


class EncoderBlock(nn.Module):
    """bert_tiny's encoder_block: pre-norm, bidirectional ALiBi self-attention, 4·dim GELU MLP, no dropout."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=0.0, batch_first=True)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        h = self.ln1(x)
        mask = alibi_bias(self.heads, x.shape[1]).repeat(x.shape[0], 1, 1)
        a, _ = self.attn(h, h, h, attn_mask=mask, need_weights=False)
        x = x + a
        return x + self.mlp(self.ln2(x))


class BertTiny(nn.Module):
    """A masked language model (Devlin et al. 2019) at toy size: one encoder block, output tied to the embedding."""

    def __init__(self, vocab=64, dim=64, heads=8):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.block = EncoderBlock(dim, heads)
        self.ln_f = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab, bias=False)
        self.head.weight = self.wte.weight

    def forward(self, tokens):
        return torch.softmax(self.head(self.ln_f(self.block(self.wte(tokens)))), -1)


def bert_tiny():
    seq = 32
    return entry("bert_tiny.nnmodel", "BertTiny", BertTiny(), [torch.zeros(1, seq, dtype=torch.long)], ["seq", 64],
                 symbols={"seq": seq}, notes="1 encoder block, dim 64, 8 ALiBi heads, char vocabulary of 64 ([MASK] included), context 32; tied output, softmax")


def figures():
    return [gpt2_small(), gpt_small(), vit_b16(), vit_small(), transformer_base(), transformer_tiny(), bert_tiny()]
