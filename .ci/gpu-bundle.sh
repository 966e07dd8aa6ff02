#!/usr/bin/env bash
# Builds .gpu/ (git-ignored): everything a GPU machine without the .NET SDK needs to run Tessera's tests, ONNX cases and
# benchmarks there — the .NET runtime packed from this SDK, the published CLI, the published test assembly and the
# script that runs them (.gpu/run.sh) with the native bench source. Send it with the device tool's `carry: [".gpu"]` and
# run `bash .gpu/run.sh [stage ...]` (stages: see .ci/gpu-run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
out=.gpu
rm -rf "$out"
mkdir -p "$out"
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
tar -C "$dotnet_root" -czf "$out/dotnet.tgz" dotnet host shared/Microsoft.NETCore.App
# The CLI and the tests share one folder (their dependencies are the same files), packed to stay small.
app=$(mktemp -d)
dotnet publish src/Tessera.Cli -c Release -r linux-x64 --no-self-contained -o "$app" >/dev/null
dotnet publish tests/Tessera.Tests -c Release -r linux-x64 --no-self-contained -o "$app" >/dev/null
rm -rf "$app"/Microsoft.CodeCoverage* "$app"/CodeCoverage
tar -C "$app" -czf "$out/app.tgz" .
rm -rf "$app"
cp .ci/gpu-run.sh "$out/run.sh"
cp native/tessera_native_bench.c benchmarks/gpu/torch_baseline.py "$out/"
du -sh "$out" | awk '{print "bundle: " $1 " in .gpu/ (limit of a device call: 64 MiB with the working tree)"}'
