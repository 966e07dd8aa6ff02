#!/usr/bin/env bash
# Builds .gpu/ (git-ignored): everything a GPU machine without the .NET SDK needs to run Tessera's tests, ONNX cases and
# benchmarks there — the .NET runtime packed from this SDK, the published CLI, the published test assembly and the
# script that runs them (.gpu/run.sh) with the native bench source, the PyTorch baseline script and the ONNX backend
# test data (libonnx-testdata, when installed here, unless BUNDLE_ONNX_DATA=0). Everything is xz-compressed to leave room under the device call's
# 64 MiB. Send it with the device tool's `carry: [".gpu"]` and run `bash .gpu/run.sh [stage ...]` (see .ci/gpu-run.sh).
# Fashion-MNIST (31 MB, already compressed) does not fit beside it: `bash .ci/gpu-bundle.sh --data` builds .gpu-data/
# with it for a separate call (`carry: [".gpu-data"]`, `bash .ci/gpu-run.sh train` on the still-warm machine).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--data" ]; then
  rm -rf .gpu-data && mkdir -p .gpu-data
  cp /usr/share/datasets/fashion-mnist/*.gz .gpu-data/
  du -sh .gpu-data | awk '{print "data bundle: " $1 " in .gpu-data/"}'
  exit 0
fi
out=.gpu
rm -rf "$out"
mkdir -p "$out"
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
XZ_OPT=-9T0 tar -C "$dotnet_root" -cJf "$out/dotnet.txz" dotnet host shared/Microsoft.NETCore.App
# The CLI and the tests share one folder (their dependencies are the same files), packed to stay small.
app=$(mktemp -d)
dotnet publish src/Tessera.Cli -c Release -r linux-x64 --no-self-contained -o "$app" >/dev/null
dotnet publish tests/Tessera.Tests -c Release -r linux-x64 --no-self-contained -o "$app" >/dev/null
rm -rf "$app"/Microsoft.CodeCoverage* "$app"/CodeCoverage
XZ_OPT=-9T0 tar -C "$app" -cJf "$out/app.txz" .
rm -rf "$app"
cp .ci/gpu-run.sh "$out/run.sh"
cp native/tessera_native_bench.c benchmarks/gpu/torch_baseline.py benchmarks/gpu/torch_rows.py "$out/"
if [ "${BUNDLE_ONNX_DATA:-1}" = 1 ] && [ -d /usr/share/libonnx-testdata/data ]; then
  XZ_OPT=-9T0 tar -C /usr/share/libonnx-testdata -cJf "$out/onnx-testdata.txz" data
fi
du -sh "$out" | awk '{print "bundle: " $1 " in .gpu/ (limit of a device call: 64 MiB with the working tree)"}'
