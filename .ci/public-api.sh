#!/usr/bin/env bash
# Regenerates the tracked public API of the library projects (src/*/PublicAPI.Shipped.txt and PublicAPI.Unshipped.txt,
# checked by Microsoft.CodeAnalysis.PublicApiAnalyzers: RS0016 "not in the declared API", RS0017 "declared but gone").
# The analyzer's own code fixes write the files; nothing is edited by hand:
#   bash .ci/public-api.sh          add every new public member to PublicAPI.Unshipped.txt and drop the ones that
#                                   are gone (after a merge that adds or removes public members; review the diff)
#   bash .ci/public-api.sh --ship   then move PublicAPI.Unshipped.txt into PublicAPI.Shipped.txt (on a release)
# The build fails on any difference between the code and the files, so a change of the surface is deliberate. About a
# minute per project (the analyzer runs in a workspace of the project and its references). Nothing is shipped yet
# (0.x): the whole surface is in PublicAPI.Unshipped.txt until a release runs --ship.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# The projects whose surface is tracked: every library under src/ (the CLI is a tool, not referenced by anyone).
projects=()
for p in src/*/*.csproj; do
  [ "$(basename "$p")" = Tessera.Cli.csproj ] && continue
  projects+=("$p")
  dir=$(dirname "$p")
  # The code fix writes into existing files only; a new project starts with empty ones.
  for f in PublicAPI.Shipped.txt PublicAPI.Unshipped.txt; do
    [ -f "$dir/$f" ] || printf '#nullable enable\n' > "$dir/$f"
  done
done

for p in "${projects[@]}"; do
  echo "== $p"
  dotnet format analyzers "$p" --diagnostics RS0016 RS0017 --severity info -v q
done
# The code fix misses some record members; the build names what is left.
echo "== build check"
python3 .ci/public-api-fixup.py

if [ "${1:-}" = --ship ]; then
  for p in "${projects[@]}"; do
    dir=$(dirname "$p")
    { grep -vh '^#nullable enable$' "$dir/PublicAPI.Shipped.txt" "$dir/PublicAPI.Unshipped.txt" || true; } \
      | LC_ALL=C sort -u | { printf '#nullable enable\n'; cat; } > "$dir/PublicAPI.Shipped.txt.new"
    mv "$dir/PublicAPI.Shipped.txt.new" "$dir/PublicAPI.Shipped.txt"
    printf '#nullable enable\n' > "$dir/PublicAPI.Unshipped.txt"
  done
fi
git status --short -- 'src/*/PublicAPI.*.txt'
