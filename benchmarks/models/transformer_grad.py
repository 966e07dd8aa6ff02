#!/usr/bin/python3
"""Writes the fixtures of Tessera's transformer-gradient acceptance test (tests/Tessera.Tests/Graph/TorchTransformer*):
one pre-norm transformer block exported by torch.onnx, and PyTorch autograd's loss, gradients and Adam steps on it.

Run with Debian's Python and its packages (apt: python3-torch python3-onnx; nothing is downloaded):

    /usr/bin/python3 benchmarks/models/transformer_grad.py [--out DIR]

The block: LayerNorm, two-head self-attention whose projections are x [B, T, C] @ W [C, C] (plain parameters, so the
ONNX graph holds MatMul of 3-D activations by 2-D initializers), GELU (erf) MLP, two residuals. Weights and inputs are
seeded float32. The reference numbers come from the same weights in float64 autograd, so they are the exact gradients of
the float32 model up to float64 rounding, and the test's float32 tolerance is Tessera's error alone.

Files (DIR = tests/Tessera.Tests/Graph/TorchTransformer by default, about 60 KB in all):

    block.onnx              x [B, T, C] -> y [B, T, C]; the test builds loss = mean((y - target)^2) in the graph
    block-gradient.onnx     (x, target) -> loss, then an ai.onnx.preview.training Gradient node giving d loss / d
                            every weight and x, as outputs grad_<name>
    x.npy, target.npy       the inputs
    loss.npy                the loss at the initial weights ([1])
    grad_<name>.npy         d loss / d <name> for every weight and for x
    adam_losses.npy         the loss before each of ADAM_STEPS Adam steps and after the last ([ADAM_STEPS + 1])
    adam_<name>.npy         every weight after the last Adam step
    meta.json               sizes, Adam settings, parameter order, torch/onnx versions
"""

import argparse
import json
import math
import os

import numpy as np

B, T, C, HEADS, FFN = 2, 5, 16, 2, 32
ADAM_STEPS, ADAM_LR = 6, 1e-2
SEED = 14
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "Tessera.Tests", "Graph",
                           "TorchTransformer")


def block_module(torch):
    nn, F = torch.nn, torch.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            g = torch.Generator().manual_seed(SEED)

            def p(*shape, scale):
                return nn.Parameter(torch.randn(*shape, generator=g) * scale)

            self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
            with torch.no_grad():  # LayerNorm's affine parameters off their 1/0 defaults, so their gradients matter
                for ln in (self.ln1, self.ln2):
                    ln.weight.copy_(1 + 0.1 * torch.randn(C, generator=g))
                    ln.bias.copy_(0.1 * torch.randn(C, generator=g))
            self.wq, self.wk, self.wv, self.wo = (p(C, C, scale=C ** -0.5) for _ in range(4))
            self.bo = p(C, scale=0.1)
            self.w1, self.b1 = p(C, FFN, scale=C ** -0.5), p(FFN, scale=0.1)
            self.w2, self.b2 = p(FFN, C, scale=FFN ** -0.5), p(C, scale=0.1)

        def heads(self, t):
            return t.reshape(B, T, HEADS, C // HEADS).transpose(1, 2)  # [B, H, T, Dh]

        def forward(self, x):
            h = self.ln1(x)
            q, k, v = self.heads(h @ self.wq), self.heads(h @ self.wk), self.heads(h @ self.wv)
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(C // HEADS), dim=-1)
            ctx = (att @ v).transpose(1, 2).reshape(B, T, C)
            x = x + ctx @ self.wo + self.bo
            return x + F.gelu(self.ln2(x) @ self.w1 + self.b1) @ self.w2 + self.b2

    class WithLoss(Block):
        """The block and its loss, with the block's parameter names."""

        def forward(self, x, target):  # mean((y - target)^2) written out: torch.onnx has no mse_loss
            d = super().forward(x) - target
            return torch.mean(d * d)

    return Block, WithLoss


def export(torch, module, args, path, input_names, output_names):
    torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names, opset_version=17,
                      do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)


def add_gradient_node(onnx, path, xs, loss_name):
    """Appends Gradient(xs, y=loss) to the exported loss model; its outputs grad_<x> become graph outputs."""
    from onnx import helper, TensorProto
    model = onnx.load(path)
    shapes = {i.name: [d.dim_value for d in i.type.tensor_type.shape.dim] for i in model.graph.input}
    shapes.update({i.name: list(i.dims) for i in model.graph.initializer})
    outs = ["grad_" + n.replace(".", "_") for n in xs]
    model.graph.node.append(helper.make_node("Gradient", xs, outs, domain="ai.onnx.preview.training", xs=xs, y=loss_name,
                                             name="gradient"))
    for n, o in zip(xs, outs):
        model.graph.output.append(helper.make_tensor_value_info(o, TensorProto.FLOAT, shapes[n]))
    model.opset_import.append(helper.make_opsetid("ai.onnx.preview.training", 1))
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    out = os.path.abspath(ap.parse_args().out)
    os.makedirs(out, exist_ok=True)

    import torch
    import onnx
    torch.manual_seed(SEED)
    Block, WithLoss = block_module(torch)
    block = Block().float().eval()
    g = torch.Generator().manual_seed(SEED + 1)
    x = torch.randn(B, T, C, generator=g)
    target = torch.randn(B, T, C, generator=g)

    names = [n for n, _ in block.named_parameters()]
    export(torch, block, (x,), os.path.join(out, "block.onnx"), ["x"], ["y"])
    with_loss = WithLoss().float().eval()
    with_loss.load_state_dict(block.state_dict())
    export(torch, with_loss, (x, target), os.path.join(out, "block-gradient.onnx"), ["x", "target"], ["loss"])
    add_gradient_node(onnx, os.path.join(out, "block-gradient.onnx"), names + ["x"], "loss")

    def save(name, t):
        np.save(os.path.join(out, name + ".npy"), t.detach().numpy().astype(np.float32))

    save("x", x)
    save("target", target)

    # Gradients in float64 autograd of the float32 weights and inputs.
    ref = Block().double()
    ref.load_state_dict(block.state_dict())
    x64 = x.double().requires_grad_(True)
    loss = torch.nn.functional.mse_loss(ref(x64), target.double())
    loss.backward()
    save("loss", loss.reshape(1))
    for n, p in ref.named_parameters():
        save("grad_" + n.replace(".", "_"), p.grad)
    save("grad_x", x64.grad)

    # Adam in float64 from the same start: the loss before each step and after the last, and the final weights.
    train = Block().double()
    train.load_state_dict(block.state_dict())
    opt = torch.optim.Adam(train.parameters(), lr=ADAM_LR)
    losses = []
    for _ in range(ADAM_STEPS):
        opt.zero_grad()
        step_loss = torch.nn.functional.mse_loss(train(x.double()), target.double())
        losses.append(step_loss.item())
        step_loss.backward()
        opt.step()
    with torch.no_grad():
        losses.append(torch.nn.functional.mse_loss(train(x.double()), target.double()).item())
    np.save(os.path.join(out, "adam_losses.npy"), np.array(losses, dtype=np.float32))
    for n, p in train.named_parameters():
        save("adam_" + n.replace(".", "_"), p)

    meta = dict(batch=B, tokens=T, channels=C, heads=HEADS, ffn=FFN, seed=SEED, adam_steps=ADAM_STEPS, adam_lr=ADAM_LR,
                adam_betas=[0.9, 0.999], adam_eps=1e-8, parameters=names, opset=17, torch=torch.__version__,
                onnx=onnx.__version__)
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(f"wrote {out}: loss {losses[0]:.6f} -> {losses[-1]:.6f} after {ADAM_STEPS} Adam steps")


if __name__ == "__main__":
    main()
