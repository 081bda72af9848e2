"""PyTorch equivalents of the recurrent and 1-D convolutional examples."""
import torch
from torch import nn

from common import entry


class CharLSTM(nn.Module):
    def __init__(self, vocab=64, dim=64, hidden=256):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, tokens):
        h, _ = self.lstm(self.emb(tokens))
        return torch.softmax(self.out(h), -1)


def char_lstm():
    seq, hidden = 64, 256
    net = CharLSTM(hidden=hidden)
    # PyTorch's LSTM has two bias vectors per gate (b_ih and b_hh): 4·h·(in + h + 2)
    # parameters. Keras has one: 4·h·(in + h + 1). Our figure drops 4·h.
    return entry("char_lstm.nnmodel", "CharLSTM", net, [torch.zeros(1, seq, dtype=torch.long)], ["seq", 64],
                 symbols={"seq": seq}, trainable_adjust=-4 * hidden,
                 notes="LSTM: Keras has one bias per gate, PyTorch two: trainable = torch - 4*hidden")


class CausalConv1d(nn.Module):
    """Keras padding='causal': (kernel - 1)·dilation zeros on the left only."""

    def __init__(self, c_in, c_out, kernel, dilation=1):
        super().__init__()
        self.pad = nn.ConstantPad1d(((kernel - 1) * dilation, 0), 0.0)
        self.conv = nn.Conv1d(c_in, c_out, kernel, dilation=dilation)

    def forward(self, x):
        return self.conv(self.pad(x))


class TcnBlock(nn.Module):
    def __init__(self, filters, dilation, p=0.1):
        super().__init__()
        self.body = nn.Sequential(
            CausalConv1d(filters, filters, 3, dilation), nn.ReLU(), nn.Dropout(p),
            CausalConv1d(filters, filters, 3, dilation), nn.ReLU(), nn.Dropout(p),
        )

    def forward(self, x):
        return torch.relu(x + self.body(x))


def tcn_waves():
    # Bai, Kolter & Koltun 2018 (TCN), without weight normalisation.
    seq = 128
    net = nn.Sequential(
        nn.Conv1d(1, 32, 1),
        *[TcnBlock(32, d) for d in (1, 2, 4, 8)],
        nn.Conv1d(32, 1, 1),
    )
    return entry("tcn_waves.nnmodel", "TCN", net, [torch.zeros(1, 1, seq)], ["seq", 1],
                 symbols={"seq": seq}, spatial_output=True)


class Reverser(nn.Module):
    """bilstm_reverse.nnmodel: an embedding, an LSTM returning every step (bidirectional or not), a softmax per step."""

    def __init__(self, hidden, bidirectional, vocab=16, dim=32):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True, bidirectional=bidirectional)
        self.out = nn.Linear(hidden * (2 if bidirectional else 1), vocab)

    def forward(self, tokens):
        h, _ = self.lstm(self.emb(tokens))
        return torch.softmax(self.out(h), -1)


def bilstm_reverse():
    # Schuster & Paliwal 1997. Two bias vectors per gate and direction in PyTorch, one in Keras.
    return [
        entry("bilstm_reverse.nnmodel", "BiReverse", Reverser(64, True), [torch.zeros(1, 8, dtype=torch.long)], [8, 16],
              trainable_adjust=-2 * 4 * 64,
              notes="bidirectional LSTM: Keras has one bias per gate and direction, PyTorch two: trainable = torch - 2*4*hidden"),
        entry("bilstm_reverse.nnmodel", "OneWayReverse", Reverser(128, False), [torch.zeros(1, 8, dtype=torch.long)], [8, 16],
              trainable_adjust=-4 * 128,
              notes="LSTM: Keras has one bias per gate, PyTorch two: trainable = torch - 4*hidden"),
    ]


def figures():
    return [char_lstm(), tcn_waves(), *bilstm_reverse()]
