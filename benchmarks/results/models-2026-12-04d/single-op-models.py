"""Single-layer ONNX models behind the kernel rows of models-2026-12-04d.md (random weights, seed 0):
`/usr/bin/python3 single-op-models.py OUT_DIR`, then `tessera compare --all OUT_DIR --threads 1`."""
import os, sys, torch

out = sys.argv[1] if len(sys.argv) > 1 else "single-op-models"
torch.manual_seed(0)

def export(name, module, shape):
    os.makedirs(f"{out}/{name}", exist_ok=True)
    torch.onnx.export(module.eval(), torch.randn(*shape), f"{out}/{name}/model.onnx", opset_version=13,
                      input_names=["x"], output_names=["y"])

# conv + ReLU: ResNet-18's 3x3 layers, its stride-2 ones, a 1x1, the 7x7/2 stem.
for name, ci, co, hw, k, s in [("c64_56", 64, 64, 56, 3, 1), ("c128_28", 128, 128, 28, 3, 1), ("c256_14", 256, 256, 14, 3, 1),
                               ("c512_7", 512, 512, 7, 3, 1), ("s2_64_56", 64, 128, 56, 3, 2), ("s2_256_14", 256, 512, 14, 3, 2),
                               ("p1_256_14", 256, 256, 14, 1, 1), ("stem", 3, 64, 224, 7, 2)]:
    export(name, torch.nn.Sequential(torch.nn.Conv2d(ci, co, k, s, k // 2), torch.nn.ReLU()), (1, ci, hw, hw))
# pointwise conv + ReLU6 (MobileNetV2's expand/project layers and others).
for ci, co, hw in [(16, 96, 112), (96, 24, 56), (144, 24, 56), (256, 64, 56), (64, 256, 56), (192, 32, 28), (32, 192, 28),
                   (384, 64, 14), (64, 384, 14), (576, 96, 14), (960, 160, 7), (160, 960, 7), (320, 1280, 7)]:
    export(f"pw_{ci}_{co}_{hw}", torch.nn.Sequential(torch.nn.Conv2d(ci, co, 1), torch.nn.ReLU6()), (1, ci, hw, hw))
# small-channel layers + ReLU6: 3x3/2 stems, a 3 -> 32 3x3, LeNet's second conv.
for name, ci, co, hw, k, s in [("stem_3_32_s2", 3, 32, 224, 3, 2), ("stem_3_16_s2", 3, 16, 224, 3, 2),
                               ("c3_32_s1", 3, 32, 64, 3, 1), ("lenet_6_16", 6, 16, 14, 5, 1)]:
    export(name, torch.nn.Sequential(torch.nn.Conv2d(ci, co, k, s, k // 2 if s == 2 else 0), torch.nn.ReLU6()), (1, ci, hw, hw))
# max pooling 3x3/2: SqueezeNet's ceil-mode ones, ResNet's.
for name, c, hw, ceil in [("mp_256_27", 256, 27, True), ("mp_64_111", 64, 111, True), ("mp_64_112", 64, 112, False)]:
    export(name, torch.nn.MaxPool2d(3, 2, ceil_mode=ceil), (1, c, hw, hw))
