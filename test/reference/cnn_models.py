"""PyTorch equivalents of the convolutional examples (examples/*.nnmodel).

Each function returns the figure `common.entry` computes. Convolutions in
PyTorch are channels-first; counts do not depend on the layout, and output
shapes of spatial outputs are turned channels-last before comparison.
"""
import torch
import torchvision
from torch import nn

from common import entry


def lenet5():
    # LeCun et al. 1998, as written in the language contract: tanh, average pooling, softmax.
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(),
        nn.Linear(84, 10), nn.Softmax(-1),
    )
    return entry("lenet5.nnmodel", "LeNet5", net, [torch.zeros(1, 1, 32, 32)], [10])


def _conv_bn_relu(c_in, c_out, **kw):
    return [nn.Conv2d(c_in, c_out, 3, padding=1, **kw), nn.BatchNorm2d(c_out), nn.ReLU()]


def vgg_small():
    # conv_block(f) = 2 × (3×3 conv 'same' + batchnorm + relu) + 2×2 max pool.
    def block(c_in, c_out):
        return _conv_bn_relu(c_in, c_out) + _conv_bn_relu(c_out, c_out) + [nn.MaxPool2d(2)]

    net = nn.Sequential(
        *block(3, 32), *block(32, 64), *block(64, 128),
        nn.Flatten(), nn.Linear(4 * 4 * 128, 256), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(256, 3), nn.Softmax(-1),
    )
    return entry("vgg_small.nnmodel", "VGGSmall", net, [torch.zeros(1, 3, 32, 32)], [3])


def resnet18():
    # torchvision's own ResNet-18 (He et al. 2016): bias-free convs, so every
    # trainable parameter is a conv kernel, a batchnorm γ/β or the classifier.
    # Its batchnorm running statistics are buffers: they are the non-trainable
    # 2·C per batchnorm that Keras reports.
    net = torchvision.models.resnet18()
    return entry("resnet18.nnmodel", "ResNet18", net, [torch.zeros(1, 3, 224, 224)], [1000],
                 notes="torchvision.models.resnet18; our model ends with softmax (no parameters, no MACs)")


def efficientnet_b0():
    # torchvision's own EfficientNet-B0 (Tan & Le 2019). Its squeeze-excite uses 1×1
    # convolutions on the pooled vector: the weights and MACs of our dense layers. Stochastic
    # depth has no parameters and is the identity at inference.
    net = torchvision.models.efficientnet_b0()
    return entry("efficientnet_b0.nnmodel", "EfficientNetB0", net, [torch.zeros(1, 3, 224, 224)], [1000],
                 notes="torchvision.models.efficientnet_b0; our model ends with softmax (no parameters, no MACs)")


class UNetSmall(nn.Module):
    """Ronneberger et al. 2015, shrunk: 3 levels of 16/32/64 filters, a 128-filter
    bottleneck, 2×2 stride-2 transposed convolutions up, concatenated skips."""

    @staticmethod
    def double_conv(c_in, c_out):
        return nn.Sequential(*_conv_bn_relu(c_in, c_out), *_conv_bn_relu(c_out, c_out))

    def __init__(self):
        super().__init__()
        self.e1 = self.double_conv(1, 16)
        self.e2 = self.double_conv(16, 32)
        self.e3 = self.double_conv(32, 64)
        self.b = self.double_conv(64, 128)
        self.u3, self.d3 = nn.ConvTranspose2d(128, 64, 2, stride=2), self.double_conv(128, 64)
        self.u2, self.d2 = nn.ConvTranspose2d(64, 32, 2, stride=2), self.double_conv(64, 32)
        self.u1, self.d1 = nn.ConvTranspose2d(32, 16, 2, stride=2), self.double_conv(32, 16)
        self.head = nn.Conv2d(16, 1, 1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        e1 = self.e1(x)
        e2 = self.e2(self.pool(e1))
        e3 = self.e3(self.pool(e2))
        b = self.b(self.pool(e3))
        # The language's concat(skip) puts the upsampled value first: same order here.
        d3 = self.d3(torch.cat([self.u3(b), e3], 1))
        d2 = self.d2(torch.cat([self.u2(d3), e2], 1))
        d1 = self.d1(torch.cat([self.u1(d2), e1], 1))
        return torch.sigmoid(self.head(d1))


def unet_small():
    return entry("unet_small.nnmodel", "UNetSmall", UNetSmall(), [torch.zeros(1, 1, 64, 64)], [64, 64, 1],
                 spatial_output=True)


def mlp_fruit():
    net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3), nn.Softmax(-1))
    return entry("mlp_fruit.nnmodel", "FruitMLP", net, [torch.zeros(1, 4)], [3])


class DeepSigmoid(nn.Module):
    """examples/deep_signals.nnmodel: flatten -> Linear(784, 64) -> sigmoid, 8 more Linear(64, 64) -> sigmoid
    (each added to its input when residual), Linear(64, 10) -> softmax."""

    def __init__(self, residual):
        super().__init__()
        self.residual = residual
        self.stem = nn.Linear(784, 64)
        self.blocks = nn.ModuleList(nn.Linear(64, 64) for _ in range(8))
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        x = torch.sigmoid(self.stem(torch.flatten(x, 1)))
        for b in self.blocks:
            y = torch.sigmoid(b(x))
            x = x + y if self.residual else y
        return torch.softmax(self.head(x), dim=1)


def deep_signals(name, residual):
    return entry("deep_signals.nnmodel", name, DeepSigmoid(residual), [torch.zeros(1, 1, 28, 28)], [10])


class DenseLayer(nn.Module):
    """torchvision's _DenseLayer: BN-ReLU-Conv1×1 (4·growth), BN-ReLU-Conv3×3 (growth), concatenated after the input."""

    def __init__(self, c_in, growth=32):
        super().__init__()
        self.f = nn.Sequential(nn.BatchNorm2d(c_in), nn.ReLU(), nn.Conv2d(c_in, 4 * growth, 1, bias=False),
                               nn.BatchNorm2d(4 * growth), nn.ReLU(), nn.Conv2d(4 * growth, growth, 3, padding=1, bias=False))

    def forward(self, x):
        return torch.cat([x, self.f(x)], 1)


def densenet121():
    # Huang et al. 2017, written out as torchvision.models.densenet121 builds it (torchvision is not needed:
    # its count, 7 978 856, is the same). Blocks of 6, 12, 24, 16 layers; transitions halve channels and size.
    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    c = 64
    for i, n in enumerate((6, 12, 24, 16)):
        for _ in range(n):
            layers.append(DenseLayer(c))
            c += 32
        if i < 3:
            layers += [nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c // 2, 1, bias=False), nn.AvgPool2d(2)]
            c //= 2
    layers += [nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 1000), nn.Softmax(-1)]
    return entry("densenet121.nnmodel", "DenseNet121", nn.Sequential(*layers), [torch.zeros(1, 3, 224, 224)], [1000],
                 notes="torchvision.models.densenet121's layers, written out; our model ends with softmax")


class LayerNorm2d(nn.LayerNorm):
    """torchvision's LayerNorm2d: LayerNorm over the channels of each pixel of an NCHW image."""

    def forward(self, x):
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class CNBlock(nn.Module):
    """torchvision's CNBlock: depthwise 7×7, LayerNorm, Linear(c, 4c), GELU, Linear(4c, c), layer scale, residual."""

    def __init__(self, c):
        super().__init__()
        self.dw = nn.Conv2d(c, c, 7, padding=3, groups=c)
        self.ln = nn.LayerNorm(c, eps=1e-6)
        self.fc1, self.fc2 = nn.Linear(c, 4 * c), nn.Linear(4 * c, c)
        self.layer_scale = nn.Parameter(torch.full((c,), 1e-6))

    def forward(self, x):
        y = self.fc2(nn.functional.gelu(self.fc1(self.ln(self.dw(x).permute(0, 2, 3, 1)))))
        return x + (self.layer_scale * y).permute(0, 3, 1, 2)


def convnext_tiny():
    # Liu et al. 2022, written out as torchvision.models.convnext_tiny builds it (28 589 128 parameters there too);
    # stochastic depth has no parameters and is the identity at inference.
    dims = [96, 192, 384, 768]
    layers = [nn.Conv2d(3, 96, 4, stride=4), LayerNorm2d(96, eps=1e-6)]
    for i, n in enumerate((3, 3, 9, 3)):
        if i > 0:
            layers += [LayerNorm2d(dims[i - 1], eps=1e-6), nn.Conv2d(dims[i - 1], dims[i], 2, stride=2)]
        layers += [CNBlock(dims[i]) for _ in range(n)]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.LayerNorm(768, eps=1e-6), nn.Linear(768, 1000), nn.Softmax(-1)]
    return entry("convnext_tiny.nnmodel", "ConvNeXtTiny", nn.Sequential(*layers), [torch.zeros(1, 3, 224, 224)], [1000],
                 notes="torchvision.models.convnext_tiny's layers, written out; our model ends with softmax")


def figures():
    return [lenet5(), vgg_small(), resnet18(), efficientnet_b0(), unet_small(), mlp_fruit(),
            deep_signals("PlainDeep", False), deep_signals("ResidualDeep", True), densenet121(), convnext_tiny()]
