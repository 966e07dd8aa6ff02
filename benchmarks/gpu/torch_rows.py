#!/usr/bin/env python3
"""One PyTorch baseline row for `tessera bench --device cuda`: the op of a bench row, at its input shapes, on the GPU.

usage: torch_rows.py OP PASS --input NAME=D0xD1x... [--input ...] [--warmup-ms W] [--budget-ms B] [--target-ci P]
                     [--min-samples N] [--max-samples M] [--min-sample-ms S]

Sampling follows the bench's rule: after warm-up, samples (each enough calls to last --min-sample-ms, timed with CUDA
events) until the 95 % confidence interval of the median is within +-P % (order-statistic ranks of the binomial
distribution) or the budget ends, with at least N samples. Prints one JSON line: {"torch", "device", "samples_ms",
"calls_per_sample"} or {"error"}. Inputs are random of the given shapes (float32; int64 targets are not used).
"""
import argparse, json, math, sys, time

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:  # reported as the row's reason
    print(json.dumps({"error": f"python has no torch ({e})"}))
    sys.exit(0)


def median_interval(sorted_ms):
    n = len(sorted_ms)
    if n < 6:
        return sorted_ms[0], sorted_ms[-1]
    cdf, k = 0.0, -1
    tail = 0.025
    # Largest k with P(Binomial(n, 1/2) <= k) <= tail: the interval is [x(k+1), x(n-k)].
    while True:
        nxt = cdf + math.comb(n, k + 1) / 2.0 ** n
        if nxt > tail or k + 1 >= (n - 1) // 2:
            break
        cdf, k = nxt, k + 1
    k = max(k, 0)
    return sorted_ms[k], sorted_ms[n - 1 - k]


def build(op, pass_, shapes, dev):
    t = {name: torch.rand(*dims, device=dev) * 2 - 1 for name, dims in shapes.items()}
    if op in ("gemm", "batched_gemm"):
        a, b = t["a"], t["b"]
        return lambda: torch.matmul(a, b)
    if op == "conv2d":
        x, w = t["x"], t["w"]
        return lambda: F.conv2d(x, w, padding=1)
    if op == "conv2d_dgrad":
        dy, w = t["dy"], t["w"]
        x = torch.empty(dy.shape[0], w.shape[1], dy.shape[2], dy.shape[3], device=dev)
        return lambda: torch.ops.aten.convolution_backward(dy, x, w, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1, [True, False, False])
    if op == "conv2d_wgrad":
        x, dy = t["x"], t["dy"]
        w = torch.empty(dy.shape[1], x.shape[1], 3, 3, device=dev)
        return lambda: torch.ops.aten.convolution_backward(dy, x, w, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1, [False, True, False])
    if op == "maxpool":
        x = t["x"]
        return lambda: F.max_pool2d(x, 2, 2)
    if op == "avgpool":
        x = t["x"]
        return lambda: F.avg_pool2d(x, 2, 2)
    if op == "batchnorm_infer":
        x, g, b, m, v = t["x"], t["gamma"], t["beta"], t["rmean"], t["rvar"].abs() + 0.5
        return lambda: F.batch_norm(x, m, v, g, b, training=False, eps=1e-5)
    if op == "batchnorm" and pass_ == "fwd":
        x, g, b, m, v = t["x"], t["gamma"], t["beta"], t["rmean"], t["rvar"].abs() + 0.5
        return lambda: F.batch_norm(x, m, v, g, b, training=True, momentum=0.1, eps=1e-5)
    if op == "layernorm" and pass_ == "fwd":
        x, g, b = t["x"], t["gamma"], t["beta"]
        return lambda: F.layer_norm(x, (x.shape[-1],), g, b, 1e-5)
    if op == "softmax":
        x = t["x"]
        return lambda: torch.softmax(x, -1)
    if op in ("attention", "attention_causal"):
        causal = op == "attention_causal"
        q, k, v = t["q"], t["k"], t["v"]
        if pass_ == "fwd":
            return lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        q, k, v = (z.clone().requires_grad_(True) for z in (q, k, v))
        o = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        do = t["do"]
        return lambda: torch.autograd.grad(o, (q, k, v), do, retain_graph=True)
    if op == "relu":
        x = t["x"]
        return lambda: torch.relu(x)
    if op == "sigmoid":
        x = t["x"]
        return lambda: torch.sigmoid(x)
    if op == "gelu":
        x = t["x"]
        return lambda: F.gelu(x)
    if op == "add":
        a, b = t["a"], t["b"]
        return lambda: torch.add(a, b)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("op")
    ap.add_argument("pass_")
    ap.add_argument("--input", action="append", default=[])
    ap.add_argument("--warmup-ms", type=float, default=200)
    ap.add_argument("--budget-ms", type=float, default=1000)
    ap.add_argument("--target-ci", type=float, default=2)
    ap.add_argument("--min-samples", type=int, default=10)
    ap.add_argument("--max-samples", type=int, default=2000)
    ap.add_argument("--min-sample-ms", type=float, default=0.05)
    a = ap.parse_args()
    if not torch.cuda.is_available():
        print(json.dumps({"error": "torch finds no CUDA device"}))
        return 0
    dev = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    shapes = {}
    for spec in a.input:
        name, dims = spec.split("=", 1)
        shapes[name] = [int(d) for d in dims.split("x")]
    fn = build(a.op, a.pass_, shapes, dev)
    if fn is None:
        print(json.dumps({"error": f"no PyTorch form of {a.op} {a.pass_}"}))
        return 0
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    calls, t0 = 0, time.perf_counter()
    while calls < 10 or (time.perf_counter() - t0) * 1000 < a.warmup_ms:
        fn()
        torch.cuda.synchronize()
        calls += 1
    per_call = (time.perf_counter() - t0) * 1000 / calls
    k = max(1, math.ceil(a.min_sample_ms / max(per_call, 1e-6)))
    samples, t0 = [], time.perf_counter()
    next_check = a.min_samples
    while len(samples) < a.max_samples:
        start.record()
        for _ in range(k):
            fn()
        end.record()
        end.synchronize()
        samples.append(start.elapsed_time(end) / k)
        if len(samples) < a.min_samples:
            continue
        if (time.perf_counter() - t0) * 1000 >= a.budget_ms:
            break
        if len(samples) >= next_check:
            s = sorted(samples)
            lo, hi = median_interval(s)
            med = s[len(s) // 2] if len(s) % 2 else 0.5 * (s[len(s) // 2 - 1] + s[len(s) // 2])
            if med > 0 and 100 * (hi - lo) / 2 / med <= a.target_ci:
                break
            next_check = len(samples) + max(2, len(samples) // 8)
    print(json.dumps({"torch": torch.__version__, "device": torch.cuda.get_device_name(dev), "samples_ms": samples, "calls_per_sample": k}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
