#!/usr/bin/env python3
"""PyTorch baselines for `tessera bench --device cuda`, run on the GPU machine (PyTorch is there, .NET is not needed).

Times, with CUDA events (3 warm-ups, then the median of --reps timed runs):
  * torch.matmul at M=N=K=--gemm (default 8192) in bf16, fp16 (fp32 accumulation), fp32 and tf32;
  * conv2d on the 3x3 layers of ResNet-50 (batch --batch, stride 1, padding 1) in fp32 without TF32:
    forward, backward-data and backward-filter through aten.convolution_backward, with cudnn.benchmark off
    (heuristic algorithm choice, like Tessera's) and on.
Writes one JSON object per line to stdout (and --out), each with op, dtype, shape, ms, tflops.
"""
import argparse, json, statistics, sys

import torch

RESNET50_3X3 = [  # (channels, height = width) of the 3x3 convolutions of each stage
    (64, 56), (128, 28), (256, 14), (512, 7),
]


def timed(fn, reps):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    return statistics.median(times), min(times), max(times)


def emit(rows, out, **row):
    rows.append(row)
    line = json.dumps(row)
    print(line, flush=True)
    if out:
        out.write(line + "\n")
        out.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gemm", type=int, default=8192)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--out")
    args = ap.parse_args()
    dev = torch.device("cuda")
    out = open(args.out, "w") if args.out else None
    rows = []
    props = torch.cuda.get_device_properties(dev)
    emit(rows, out, op="device", name=props.name, sm=f"{props.major}.{props.minor}", torch=torch.__version__,
         cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version())

    n = args.gemm
    for name, dtype, tf32 in [("bf16", torch.bfloat16, False), ("fp16", torch.float16, False),
                              ("fp32", torch.float32, False), ("tf32", torch.float32, True)]:
        torch.backends.cuda.matmul.allow_tf32 = tf32
        a = torch.randn(n, n, device=dev, dtype=dtype)
        b = torch.randn(n, n, device=dev, dtype=dtype)
        med, lo, hi = timed(lambda: torch.matmul(a, b), args.reps)
        emit(rows, out, op="gemm", dtype=name, shape=[n, n, n], ms=med, ms_min=lo, ms_max=hi,
             tflops=2.0 * n * n * n / (med * 1e-3) / 1e12)
        del a, b
    torch.backends.cuda.matmul.allow_tf32 = False

    torch.backends.cudnn.allow_tf32 = False
    for benchmark in (False, True):
        torch.backends.cudnn.benchmark = benchmark
        for c, hw in RESNET50_3X3:
            x = torch.randn(args.batch, c, hw, hw, device=dev)
            w = torch.randn(c, c, 3, 3, device=dev)
            y = torch.nn.functional.conv2d(x, w, padding=1)
            dy = torch.randn_like(y)
            flops = 2.0 * args.batch * c * hw * hw * c * 9
            shape = [args.batch, c, hw, hw, c, 3, 3]
            passes = {
                "fwd": lambda: torch.nn.functional.conv2d(x, w, padding=1),
                "bwd_data": lambda: torch.ops.aten.convolution_backward(
                    dy, x, w, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1, [True, False, False]),
                "bwd_filter": lambda: torch.ops.aten.convolution_backward(
                    dy, x, w, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1, [False, True, False]),
            }
            for p, fn in passes.items():
                med, lo, hi = timed(fn, args.reps)
                emit(rows, out, op=f"conv2d_{p}", dtype="fp32", shape=shape, cudnn_benchmark=benchmark,
                     ms=med, ms_min=lo, ms_max=hi, tflops=flops / (med * 1e-3) / 1e12)
    if out:
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
