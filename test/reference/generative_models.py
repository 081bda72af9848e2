"""PyTorch equivalents of the generative examples: the DCGAN Generator and
Discriminator (examples/dcgan.nnmodel) and the small DDPM noise-prediction
U-Net (examples/diffusion_unet.nnmodel).

Padding differs from the language's `padding = same` (TensorFlow pads stride-2
convolutions more on the bottom and right; PyTorch's padding=2 or 1 pads both
sides, with output_padding=1 on the transposed ones), but the sizes are the
same, so every count is. The U-Net's attention is nn.MultiheadAttention with
one head over the 8×8 = 64 pixels: DDPM's AttnBlock (1×1 convolutions for
q, k, v and the output, with biases) has the same weights and MACs. The
step is encoded by `timestep_embedding` (no weights, no MACs), then a
Linear -> SiLU -> Linear, as DDPM.
"""
import math

import torch
from torch import nn
from torch.nn import functional as F

from common import entry


class Generator(nn.Module):
    """Radford et al. 2016, Figure 1: 100 → 4×4×1024 → … → 64×64×3, 5×5 kernels."""

    def __init__(self):
        super().__init__()
        self.project = nn.Linear(100, 4 * 4 * 1024, bias=False)

        def up(c_in, c_out):
            return [nn.ConvTranspose2d(c_in, c_out, 5, 2, padding=2, output_padding=1, bias=False),
                    nn.BatchNorm2d(c_out), nn.ReLU()]

        self.net = nn.Sequential(
            nn.BatchNorm2d(1024), nn.ReLU(), *up(1024, 512), *up(512, 256), *up(256, 128),
            nn.ConvTranspose2d(128, 3, 5, 2, padding=2, output_padding=1), nn.Tanh(),
        )

    def forward(self, z):
        return self.net(self.project(z).view(-1, 1024, 4, 4))


def discriminator():
    def down(c_in, c_out):
        return [nn.Conv2d(c_in, c_out, 5, 2, padding=2, bias=False), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2)]

    return nn.Sequential(
        nn.Conv2d(3, 128, 5, 2, padding=2), nn.LeakyReLU(0.2),
        *down(128, 256), *down(256, 512), *down(512, 1024),
        nn.Flatten(), nn.Linear(4 * 4 * 1024, 1), nn.Sigmoid(),
    )


def timestep_embedding(t, dim, max_period=10000):
    """The example's sinusoidal(dim): DDPM's get_timestep_embedding (sines, then
    cosines) with frequencies max_period^(-i/h), h = dim/2, i = 0 .. h-1. DDPM's
    code divides by h - 1 (diffusers: downscale_freq_shift=1); the shapes and
    counts are the same either way. t: [batch, 1] steps -> [batch, dim]."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    angles = t.float() * freqs  # [batch, 1] * [h] -> [batch, h]
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)


class ResBlock(nn.Module):
    """DDPM's ResnetBlock; the 1×1 shortcut only where the channels change
    (res_block_proj in the example, res_block otherwise)."""

    def __init__(self, c_in, c_out, temb=128, groups=8, p=0.1):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(groups, c_in), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.temb = nn.Linear(temb, c_out)
        self.norm2, self.drop = nn.GroupNorm(groups, c_out), nn.Dropout(p)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(F.silu(temb))[:, :, None, None]
        h = self.conv2(self.drop(F.silu(self.norm2(h))))
        return self.skip(x) + h


class AttnBlock(nn.Module):
    def __init__(self, c, groups=8):
        super().__init__()
        self.norm = nn.GroupNorm(groups, c)
        self.attn = nn.MultiheadAttention(c, 1, batch_first=True)

    def forward(self, x):
        b, c, hh, ww = x.shape
        h = self.norm(x).flatten(2).transpose(1, 2)  # [b, h·w, c]
        a, _ = self.attn(h, h, h, need_weights=False)
        return x + a.transpose(1, 2).reshape(b, c, hh, ww)


class DiffusionUNet(nn.Module):
    """Ho et al. 2020's CIFAR-10 U-Net at base width 32, widths 32-64-64, one
    residual block per level (two plus one going up, as DDPM), attention at
    the bottleneck; DDPM's sinusoidal step encoding."""

    def __init__(self):
        super().__init__()
        self.t_mlp = nn.Sequential(nn.Linear(32, 128), nn.SiLU(), nn.Linear(128, 128))
        self.conv_in = nn.Conv2d(3, 32, 3, padding=1)
        self.down = nn.ModuleList([ResBlock(32, 32), ResBlock(32, 64), ResBlock(64, 64)])
        self.downsample = nn.ModuleList([nn.Conv2d(32, 32, 3, 2, padding=1), nn.Conv2d(64, 64, 3, 2, padding=1)])
        self.mid1, self.attn, self.mid2 = ResBlock(64, 64), AttnBlock(64), ResBlock(64, 64)
        # Up, in the order the skips are taken back: s5, s4 | s3, s2 | s1, s0.
        self.up = nn.ModuleList([
            ResBlock(128, 64), ResBlock(128, 64), ResBlock(128, 64), ResBlock(96, 64), ResBlock(96, 32), ResBlock(64, 32),
        ])
        self.upsample = nn.ModuleList([nn.Conv2d(64, 64, 3, padding=1), nn.Conv2d(64, 64, 3, padding=1)])
        self.norm_out, self.conv_out = nn.GroupNorm(8, 32), nn.Conv2d(32, 3, 3, padding=1)

    def forward(self, x, t):
        temb = self.t_mlp(timestep_embedding(t, 32))
        s = [self.conv_in(x)]
        s.append(self.down[0](s[-1], temb))
        s.append(self.downsample[0](s[-1]))
        s.append(self.down[1](s[-1], temb))
        s.append(self.downsample[1](s[-1]))
        s.append(self.down[2](s[-1], temb))
        h = self.mid2(self.attn(self.mid1(s[-1], temb)), temb)
        for i, block in enumerate(self.up):
            h = block(torch.cat([h, s.pop()], 1), temb)
            if i in (1, 3):
                h = self.upsample[i // 2](F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h)))


class DigitDiffusion(nn.Module):
    """examples/diffusion_digits.nnmodel: the U-Net above made small for 16x16
    grey digits, widths 16-32-32, one residual block per level, two at the
    4x4 bottleneck, no attention; the same sinusoidal step encoding into 64."""

    def __init__(self):
        super().__init__()
        self.t_mlp = nn.Sequential(nn.Linear(32, 64), nn.SiLU(), nn.Linear(64, 64))
        self.conv_in = nn.Conv2d(1, 16, 3, padding=1)
        self.down0, self.ds0 = ResBlock(16, 16, temb=64), nn.Conv2d(16, 32, 3, 2, padding=1)
        self.down1, self.ds1 = ResBlock(32, 32, temb=64), nn.Conv2d(32, 32, 3, 2, padding=1)
        self.mid1, self.mid2 = ResBlock(32, 32, temb=64), ResBlock(32, 32, temb=64)
        self.up1, self.res1 = nn.Conv2d(32, 32, 3, padding=1), ResBlock(64, 32, temb=64)
        self.up0, self.res0 = nn.Conv2d(32, 16, 3, padding=1), ResBlock(32, 16, temb=64)
        self.norm_out, self.conv_out = nn.GroupNorm(8, 16), nn.Conv2d(16, 1, 3, padding=1)

    def forward(self, x, t):
        temb = self.t_mlp(timestep_embedding(t, 32))
        s1 = self.down0(self.conv_in(x), temb)
        s3 = self.down1(self.ds0(s1), temb)
        h = self.mid2(self.mid1(self.ds1(s3), temb), temb)
        h = self.res1(torch.cat([self.up1(F.interpolate(h, scale_factor=2, mode="nearest")), s3], 1), temb)
        h = self.res0(torch.cat([self.up0(F.interpolate(h, scale_factor=2, mode="nearest")), s1], 1), temb)
        return self.conv_out(F.silu(self.norm_out(h)))


def gan_digits_generator():
    """examples/gan_digits.nnmodel: an MLP generator, 64 → 128 → 256 → 784 → [28, 28, 1], batchnorm after the hidden layers."""
    net = nn.Sequential(
        nn.Linear(64, 128), nn.BatchNorm1d(128), nn.LeakyReLU(0.2),
        nn.Linear(128, 256), nn.BatchNorm1d(256), nn.LeakyReLU(0.2),
        nn.Linear(256, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)),
    )
    return entry("gan_digits.nnmodel", "Generator", net, [torch.zeros(1, 64)], [28, 28, 1], spatial_output=True,
                 notes="Goodfellow et al. 2014's MLP generator, with DCGAN's batchnorm")


def gan_digits_discriminator():
    net = nn.Sequential(
        nn.Flatten(), nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Dropout(0.3),
        nn.Linear(256, 128), nn.LeakyReLU(0.2), nn.Dropout(0.3), nn.Linear(128, 1), nn.Sigmoid(),
    )
    return entry("gan_digits.nnmodel", "Discriminator", net, [torch.zeros(1, 1, 28, 28)], [1])


def dcgan_generator():
    return entry("dcgan.nnmodel", "Generator", Generator(), [torch.zeros(1, 100)], [64, 64, 3],
                 spatial_output=True, notes="Figure 1's sizes, the authors' 5x5 kernels; batchnorm per channel after the reshape")


def dcgan_discriminator():
    return entry("dcgan.nnmodel", "Discriminator", discriminator(), [torch.zeros(1, 3, 64, 64)], [1])


def diffusion_unet():
    return entry("diffusion_unet.nnmodel", "DiffusionUNet", DiffusionUNet(),
                 [torch.zeros(1, 3, 32, 32), torch.zeros(1, 1, dtype=torch.long)], [32, 32, 3], spatial_output=True,
                 notes="DDPM's CIFAR-10 U-Net at width 32-64-64, one residual block per level, attention at 8x8 only, "
                       "the sinusoidal step embedding")


def diffusion_digits():
    return entry("diffusion_digits.nnmodel", "DigitDiffusion", DigitDiffusion(),
                 [torch.zeros(1, 1, 16, 16), torch.zeros(1, 1, dtype=torch.long)], [16, 16, 1], spatial_output=True,
                 notes="the small U-Net above for 16x16 digits: widths 16-32-32, no attention, the sinusoidal step embedding")


def figures():
    return [dcgan_generator(), dcgan_discriminator(), diffusion_unet(), diffusion_digits(), gan_digits_generator(), gan_digits_discriminator()]
