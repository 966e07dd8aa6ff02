#!/usr/bin/python3
"""Exports Tessera's model set: real architectures with random, seeded weights, as ONNX test cases.

Run with Debian's Python and its packages (apt: python3-torch python3-torchvision python3-onnx; nothing is downloaded):

    /usr/bin/python3 benchmarks/models/export.py [--out DIR] [--subset all|ci] [--only NAME,...] [--force] [--list]

Each model becomes a folder in the layout of the ONNX backend tests, so `tessera onnx-test`, `tessera compare --all`
and the tests read it as it is:

    DIR/NAME/model.onnx                     exported by torch.onnx (static shapes, constant folding on)
    DIR/NAME/test_data_set_0/input_K.pb     the seeded inputs (TensorProto, graph-input order)
    DIR/NAME/test_data_set_0/output_K.pb    PyTorch's float32 outputs on those inputs (the reference)
    DIR/NAME/meta.json                      recipe version, opset, torch/torchvision/onnx versions, shapes, parameters

Weights come from the architectures' own initialisers under torch.manual_seed; every BatchNorm's running statistics are
then calibrated on seeded random batches (train mode, cumulative average) and its affine parameters perturbed, so that
activations stay at unit scale through deep networks (as in a trained model) and folding BatchNorm is not a no-op.
The run is idempotent: a folder whose meta.json has this script's RECIPE and the same opset is kept (--force redoes it).
A folder is written under a temporary name and renamed when complete, so an interrupted run leaves no half case.
"""

import argparse
import json
import math
import os
import shutil
import sys
import time
import zlib

import numpy as np

RECIPE = 1  # bump when a model's definition, inputs or weights change, so cached folders are redone
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cache")
CI_SUBSET_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ci-subset.txt")  # read by the tests too


def seed_of(name):
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


# ---------------------------------------------------------------------------------------------------------------------
# Transformer and audio models (written here; the vision models are torchvision's)

def transformer_modules(torch):
    nn = torch.nn
    F = torch.nn.functional

    class BertLayer(nn.Module):
        """Post-norm encoder layer as BERT writes it: additive padding mask, GELU (erf), LayerNorm."""

        def __init__(self, d, heads, ffn):
            super().__init__()
            self.h, self.dh = heads, d // heads
            self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
            self.ln1, self.ln2 = nn.LayerNorm(d, eps=1e-12), nn.LayerNorm(d, eps=1e-12)
            self.up, self.down = nn.Linear(d, ffn), nn.Linear(ffn, d)

        def split(self, x):
            b, t, _ = x.shape
            return x.view(b, t, self.h, self.dh).permute(0, 2, 1, 3)

        def forward(self, x, mask_bias):
            b, t, d = x.shape
            q, k, v = self.split(self.q(x)), self.split(self.k(x)), self.split(self.v(x))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.dh) + mask_bias
            ctx = torch.matmul(torch.softmax(scores, dim=-1), v).permute(0, 2, 1, 3).reshape(b, t, d)
            x = self.ln1(x + self.o(ctx))
            return self.ln2(x + self.down(F.gelu(self.up(x))))

    class BertEncoder(nn.Module):
        def __init__(self, vocab=8000, d=256, layers=4, heads=4, ffn=1024, max_len=512):
            super().__init__()
            self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(max_len, d)
            self.ln = nn.LayerNorm(d, eps=1e-12)
            self.register_buffer("position_ids", torch.arange(max_len).unsqueeze(0))
            self.layers = nn.ModuleList(BertLayer(d, heads, ffn) for _ in range(layers))
            self.pool = nn.Linear(d, d)

        def forward(self, input_ids, attention_mask):
            t = input_ids.shape[1]
            x = self.ln(self.tok(input_ids) + self.pos(self.position_ids[:, :t]))
            mask_bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
            for layer in self.layers:
                x = layer(x, mask_bias)
            return x, torch.tanh(self.pool(x[:, 0]))

    def gelu_tanh(x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))

    class GptBlock(nn.Module):
        """Pre-norm decoder block as GPT-2 writes it: fused QKV projection, boolean causal mask through where()."""

        def __init__(self, d, heads, max_len):
            super().__init__()
            self.h, self.dh = heads, d // heads
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.up, self.down = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
            self.register_buffer("causal", torch.tril(torch.ones(max_len, max_len, dtype=torch.bool)).view(1, 1, max_len, max_len))

        def forward(self, x):
            b, t, d = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
            q, k, v = (z.view(b, t, self.h, self.dh).transpose(1, 2) for z in (q, k, v))
            w = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.dh)
            w = torch.where(self.causal[:, :, :t, :t], w, torch.tensor(torch.finfo(w.dtype).min, dtype=w.dtype))
            ctx = torch.matmul(torch.softmax(w, dim=-1), v).transpose(1, 2).reshape(b, t, d)
            x = x + self.proj(ctx)
            return x + self.down(gelu_tanh(self.up(self.ln2(x))))

    class GptDecoder(nn.Module):
        def __init__(self, vocab=8192, d=256, layers=4, heads=4, max_len=512):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(max_len, d)
            self.blocks = nn.ModuleList(GptBlock(d, heads, max_len) for _ in range(layers))
            self.ln_f = nn.LayerNorm(d)

        def forward(self, input_ids):
            t = input_ids.shape[1]
            x = self.wte(input_ids) + self.wpe(torch.arange(t, dtype=torch.long).unsqueeze(0))
            for block in self.blocks:
                x = block(x)
            return torch.matmul(self.ln_f(x), self.wte.weight.t())   # tied embeddings: the LM head is wte transposed

    return BertEncoder, GptDecoder


def audio_module(torch):
    nn = torch.nn

    def stage(cin, cout, kernel, stride=1):
        return [nn.Conv1d(cin, cout, kernel, stride=stride, padding=kernel // 2 if stride == 1 else 0),
                nn.BatchNorm1d(cout), nn.ReLU(), nn.MaxPool1d(4)]

    class AudioConv1d(nn.Module):
        """M5-style raw-waveform classifier: strided Conv1d front end, Conv1d/BN/ReLU/MaxPool stages, global average."""

        def __init__(self, classes=35):
            super().__init__()
            self.features = nn.Sequential(*stage(1, 32, 80, stride=16), *stage(32, 32, 3), *stage(32, 64, 3), *stage(64, 64, 3))
            self.gap = nn.AdaptiveAvgPool1d(1)
            self.fc = nn.Linear(64, classes)

        def forward(self, x):
            return self.fc(self.gap(self.features(x)).flatten(1))

    return AudioConv1d


# ---------------------------------------------------------------------------------------------------------------------
# The set

def vision(fn, size=224, **kw):
    return {"kind": "vision", "build": lambda torch, tv: getattr(tv.models, fn)(weights=None, **kw), "size": size, "opset": 17}


MODELS = {
    "resnet18": vision("resnet18"),
    "mobilenet_v2": vision("mobilenet_v2"),
    "mobilenet_v3_small": vision("mobilenet_v3_small"),
    "mobilenet_v3_large": vision("mobilenet_v3_large"),
    "efficientnet_b0": vision("efficientnet_b0"),
    "densenet121": vision("densenet121"),
    "shufflenet_v2_x0_5": vision("shufflenet_v2_x0_5"),
    "squeezenet1_1": vision("squeezenet1_1"),
    "googlenet": vision("googlenet", aux_logits=False, init_weights=True),
    "inception_v3": vision("inception_v3", size=299, aux_logits=False, init_weights=True),
    "bert_encoder_op13": {"kind": "bert", "opset": 13},
    "bert_encoder_op17": {"kind": "bert", "opset": 17},
    "gpt2_decoder_op13": {"kind": "gpt", "opset": 13},
    "gpt2_decoder_op17": {"kind": "gpt", "opset": 17},
    "audio_conv1d": {"kind": "audio", "opset": 17, "keep_batchnorm": True},
}


def calibrate_batchnorm(torch, model, make_batch, batches=3):
    """Running statistics from seeded batches (cumulative average), then perturbed affine parameters."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(make_batch())
        for m in norms:
            m.weight.uniform_(0.75, 1.25)
            m.bias.normal_(0.0, 0.1)


def build(name, spec, torch, tv):
    """The model in eval mode and its inputs as (name, numpy array) pairs, all from the model's seed."""
    seed = seed_of(name)
    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    kind = spec["kind"]
    if kind == "vision":
        model = spec["build"](torch, tv)
        s = spec["size"]
        calibrate_batchnorm(torch, model, lambda: torch.randn(4, 3, s, s))
        inputs = [("input", rng.standard_normal((1, 3, s, s)).astype(np.float32))]
    elif kind == "audio":
        model = audio_module(torch)()
        calibrate_batchnorm(torch, model, lambda: torch.randn(8, 1, 16000))
        inputs = [("waveform", rng.standard_normal((4, 1, 16000)).astype(np.float32))]
    elif kind == "bert":
        bert, _ = transformer_modules(torch)
        model = bert()
        ids = rng.randint(0, 8000, size=(2, 128)).astype(np.int64)
        mask = np.ones((2, 128), dtype=np.int64)
        mask[1, 100:] = 0   # the second sequence is padded after 100 tokens
        ids[1, 100:] = 0
        inputs = [("input_ids", ids), ("attention_mask", mask)]
    elif kind == "gpt":
        _, gpt = transformer_modules(torch)
        model = gpt()
        inputs = [("input_ids", rng.randint(0, 8192, size=(1, 128)).astype(np.int64))]
    else:
        raise ValueError(kind)
    model.eval()
    return model, inputs


def output_names(kind, count):
    names = {"bert": ["last_hidden_state", "pooler_output"], "gpt": ["logits"]}.get(kind, ["output"])
    return names[:count] if count <= len(names) else [f"output_{i}" for i in range(count)]


def export_one(name, spec, out_dir, torch, tv, onnx):
    from onnx import numpy_helper

    model, inputs = build(name, spec, torch, tv)
    args = tuple(torch.from_numpy(a) for _, a in inputs)
    with torch.no_grad():
        result = model(*args)
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    outputs = [o.detach().numpy().astype(np.float32) for o in outputs]
    out_names = output_names(spec["kind"], len(outputs))

    final = os.path.join(out_dir, name)
    tmp = f"{final}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.join(tmp, "test_data_set_0"))
    path = os.path.join(tmp, "model.onnx")
    # torch.onnx folds each BatchNorm into the convolution before it in eval mode; "keep_batchnorm" exports the model
    # as it is (TrainingMode.PRESERVE on an eval-mode model), as older exporters and other frameworks write it.
    training = torch.onnx.TrainingMode.PRESERVE if spec.get("keep_batchnorm") else torch.onnx.TrainingMode.EVAL
    torch.onnx.export(model, args, path, opset_version=spec["opset"], do_constant_folding=True, training=training,
                      input_names=[n for n, _ in inputs], output_names=out_names)
    onnx.checker.check_model(path)
    for k, (n, a) in enumerate(inputs):
        with open(os.path.join(tmp, "test_data_set_0", f"input_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(a, n).SerializeToString())
    for k, (n, a) in enumerate(zip(out_names, outputs)):
        with open(os.path.join(tmp, "test_data_set_0", f"output_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(a, n).SerializeToString())
    meta = {
        "name": name, "recipe": RECIPE, "opset": spec["opset"], "seed": seed_of(name), "keep_batchnorm": bool(spec.get("keep_batchnorm")),
        "torch": torch.__version__, "torchvision": tv.__version__, "onnx": onnx.__version__,
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "inputs": {n: {"dtype": str(a.dtype), "shape": list(a.shape)} for n, a in inputs},
        "outputs": {n: {"dtype": str(a.dtype), "shape": list(a.shape)} for n, a in zip(out_names, outputs)},
    }
    with open(os.path.join(tmp, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    return meta


def cached(out_dir, name, spec):
    try:
        with open(os.path.join(out_dir, name, "meta.json")) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return False
    return meta.get("recipe") == RECIPE and meta.get("opset") == spec["opset"] and os.path.isfile(os.path.join(out_dir, name, "model.onnx"))


def ci_subset():
    with open(CI_SUBSET_FILE) as f:
        names = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise SystemExit(f"{CI_SUBSET_FILE}: unknown model(s) {', '.join(unknown)}")
    return names


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=os.environ.get("TESSERA_MODELS", DEFAULT_OUT), help="cache folder (default: $TESSERA_MODELS or benchmarks/models/cache)")
    p.add_argument("--subset", choices=["all", "ci"], default="all", help="ci: the few small models CI checks for correctness")
    p.add_argument("--only", default="", help="comma-separated model names")
    p.add_argument("--force", action="store_true", help="export again even when cached")
    p.add_argument("--list", action="store_true", help="print the model names and exit")
    a = p.parse_args()

    names = list(MODELS) if a.subset == "all" else ci_subset()
    if a.only:
        wanted = [n for n in a.only.split(",") if n]
        unknown = [n for n in wanted if n not in MODELS]
        if unknown:
            p.error(f"unknown model(s): {', '.join(unknown)} (known: {', '.join(MODELS)})")
        names = wanted
    if a.list:
        for n in names:
            print(n)
        return 0

    import warnings
    warnings.filterwarnings("ignore")
    import torch
    import torchvision as tv
    import onnx
    torch.set_num_threads(1)

    os.makedirs(a.out, exist_ok=True)
    failed = []
    for n in names:
        spec = MODELS[n]
        if not a.force and cached(a.out, n, spec):
            print(f"cached    {n}")
            continue
        t0 = time.time()
        try:
            meta = export_one(n, spec, a.out, torch, tv, onnx)
        except Exception as e:  # report the model and go on with the others
            failed.append(n)
            print(f"FAILED    {n}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}", file=sys.stderr)
            continue
        print(f"exported  {n}  opset {meta['opset']}, {meta['parameters'] / 1e6:.2f} M parameters, {time.time() - t0:.1f} s")
    if failed:
        print(f"{len(failed)} model(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
