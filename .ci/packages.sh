#!/usr/bin/env bash
# Packs Tessera and checks the packages as a user takes them (called by .ci/run after the build; about 4 minutes):
#   1. dotnet pack of every project under src/ into ./feed (libraries, symbols, the CLI as a dotnet tool);
#   2. dotnet tool install of the CLI from ./feed, then `tessera devices`;
#   3. tests/Tessera.Consumer restored from ./feed and run under the JIT (a kernel on the CPU, a backend by name with
#      fallback, an ONNX model from the ONNX test data);
#   4. every ```csharp block of README.md built in a fresh project on ./feed and run (.ci/readme-examples.sh);
#   5. tests/Tessera.Consumer published with Native AOT and run (Vector512 must stay accelerated where the CPU has it).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
feed=$PWD/feed
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The feed's version is in NuGet's global cache from an earlier run: drop it there so the packages just packed are used.
cache=${NUGET_PACKAGES:-$HOME/.nuget/packages}
rm -rf "$feed" "$cache"/tessera "$cache"/tessera.*

echo "== dotnet pack"
dotnet pack Runtime.sln -c Release --no-build -o "$feed" -p:ContinuousIntegrationBuild=true > "$work/pack.log" 2>&1 \
  || { cat "$work/pack.log"; exit 1; }
ls "$feed"

echo "== dotnet tool install tessera"
dotnet tool install --tool-path "$work/tool" --add-source "$feed" tessera
"$work/tool/tessera" devices | head -12

model=/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d
[ -d "$model" ] || model=""
echo "== consumer (JIT)"
dotnet run -c Release -p:RestoreAdditionalProjectSources="$feed" --project tests/Tessera.Consumer -- $model

bash .ci/readme-examples.sh "$feed"

echo "== consumer (Native AOT)"
dotnet publish tests/Tessera.Consumer -c Release -r linux-x64 -p:PublishAot=true -p:RestoreAdditionalProjectSources="$feed" \
  -o "$work/aot" > "$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }
ls -l "$work/aot/Tessera.Consumer"
"$work/aot/Tessera.Consumer" $model
if grep -q avx512f /proc/cpuinfo; then
  "$work/aot/Tessera.Consumer" | grep -q '^Vector512 accelerated' || { echo "Native AOT build lost Vector512"; exit 1; }
fi
echo "packages: ok"
