"""LeNet-5 training throughput in PyTorch on the CPU, for `npm run bench`.

Reads the data the benchmark wrote (the same synthetic digits the TypeScript
side trains on), trains the same network (conv 6@5x5 tanh, avg-pool 2,
conv 16@5x5 tanh, avg-pool 2, dense 120 tanh, 84 tanh, 10) with Adam at
lr 1e-3, batch 64, for one epoch after a short warm-up, and prints one JSON
line: {"examples_per_s": ..., "examples_per_cpu_s": ..., "examples": ...,
"threads": ..., "loss": ...} (CPU time: the process, all its threads).

Usage: python3 train_lenet_torch.py DATA.bin COUNT SIZE [THREADS]
DATA.bin holds COUNT*SIZE*SIZE float32 pixels (row-major, channels last,
one channel) followed by COUNT int32 labels.
"""
import json
import sys
import time

import numpy as np
import torch
from torch import nn


def main() -> None:
    path, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    raw = np.fromfile(path, dtype=np.uint8)
    pixels = count * size * size
    xs = np.frombuffer(raw[: pixels * 4].tobytes(), dtype=np.float32).reshape(count, size, size, 1)
    ys = np.frombuffer(raw[pixels * 4 : pixels * 4 + count * 4].tobytes(), dtype=np.int32)
    x = torch.from_numpy(xs.copy()).permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(ys.astype(np.int64))
    flat = 16 * ((((size - 4) // 2) - 4) // 2) ** 2
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(flat, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10),
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    batch = 64

    def step(i: int) -> float:
        xb, yb = x[i : i + batch], y[i : i + batch]
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return float(loss)

    for i in range(0, min(count, 3 * batch), batch):  # warm-up
        step(i)
    # The examples after the warm-up ones, as the TypeScript side times them.
    start = min(count, 3 * batch)
    timed = count - start
    t0 = time.perf_counter()
    c0 = time.process_time()
    loss = 0.0
    for i in range(start, count, batch):
        loss = step(i)
    dt = time.perf_counter() - t0
    dc = time.process_time() - c0
    print(json.dumps({"examples_per_s": timed / dt, "examples_per_cpu_s": timed / dc if dc > 0 else None, "examples": timed, "threads": threads, "loss": loss}))


if __name__ == "__main__":
    main()
