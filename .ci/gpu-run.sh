#!/usr/bin/env bash
# Runs on the GPU machine (no .NET SDK there): unpacks the runtime of the bundle made by .ci/gpu-bundle.sh and runs the
# test assembly (CUDA tests run where a GPU is present), the in-scope ONNX cases and the benchmarks on every device,
# writing everything under ${OUT:-./gpu-results}.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$here/../gpu-results}
mkdir -p "$out"
export DOTNET_ROOT=$(mktemp -d)/dotnet
mkdir -p "$DOTNET_ROOT"
tar -C "$DOTNET_ROOT" -xzf "$here/dotnet.tgz"
app=$(mktemp -d)
tar -C "$app" -xzf "$here/app.tgz"
export PATH="$DOTNET_ROOT:$PATH" DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
{ nvidia-smi || true; } > "$out/nvidia-smi.txt" 2>&1
dotnet "$app/tessera.dll" devices > "$out/devices.txt" 2>&1
dotnet "$app/Tessera.Tests.dll" > "$out/tests.txt" 2>&1; echo "tests exit $?" >> "$out/tests.txt"
data=/usr/share/libonnx-testdata/data
if [ -d "$data" ]; then
  for dev in cpu cuda; do
    for suite in node pytorch-converted pytorch-operator simple; do
      dotnet "$app/tessera.dll" onnx-test "$data/$suite" --device $dev --format json > "$out/onnx-$dev-$suite.json" 2>&1
    done
  done
fi
dotnet "$app/tessera.dll" bench --device all --size medium --format json --out "$out/bench.json" > "$out/bench.txt" 2>&1
tail -n 3 "$out/tests.txt" "$out/bench.txt"
