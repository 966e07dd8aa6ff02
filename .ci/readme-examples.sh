#!/usr/bin/env bash
# Every ```csharp block of README.md, compiled and run as a user would: in a fresh console project outside the
# repository (no Directory.Build.props of ours; the settings of `dotnet new console`) that references the packed
# libraries of FEED and nothing else of the repository. Called by .ci/packages.sh after it packed into ./feed;
# alone: bash .ci/readme-examples.sh ./feed
#
# One project for all examples keeps CI fast: top-level statements admit one file per program, so each block becomes
# the body of its own static method (its using directives stay at the top of its file, `#line` maps compiler errors
# back to README.md), and the program runs the example named by its argument, each in its own process. A failure
# names the example by its first line in README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
feed=$(realpath "${1:-feed}")
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
readme=$PWD/README.md
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
proj=$work/ReadmeExamples
mkdir -p "$proj"

# The libraries in the feed (not the tool, not the bench suite with its ONNX Runtime natives), at the feed's version.
core=$(ls "$feed"/Tessera.Core.*.nupkg | grep -v '\.snupkg$' | head -1)
version=$(basename "$core" .nupkg); version=${version#Tessera.Core.}
refs=""
for p in "$feed"/Tessera.*."$version".nupkg; do
  id=$(basename "$p" ".$version.nupkg")
  [ "$id" = Tessera.Bench ] && continue
  refs="$refs    <PackageReference Include=\"$id\" Version=\"$version\" />"$'\n'
done
cat > "$proj/ReadmeExamples.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
  </PropertyGroup>
  <ItemGroup>
$refs  </ItemGroup>
</Project>
EOF

# Split the README into Example<N>.cs files; list "N line" pairs in examples.txt.
awk -v dir="$proj" -v readme="$readme" '
  function flush(   i, f, body, async) {
    f = dir "/Example" n ".cs"
    async = 0
    for (i = first; i <= count; i++) if (lines[i] ~ /(^|[^A-Za-z_])await /) async = 1
    # using directives (not `using var`/`using (`) at the top of the block stay at the top of the file.
    i = 1
    printf "#line %d \"%s\"\n", start + 1, readme > f
    while (i <= count && (lines[i] ~ /^using [A-Za-z_][A-Za-z0-9_.]*( *= *[A-Za-z_][A-Za-z0-9_.<>, ]*)?;/ && lines[i] !~ /^using var / || lines[i] ~ /^using static / || lines[i] ~ /^[ \t]*$/)) {
      print lines[i] > f; i++
    }
    printf "#line default\ninternal static class Example%d\n{\n    public static %s Run()\n    {\n", n, async ? "async Task" : "void" > f
    printf "#line %d \"%s\"\n", start + i, readme > f
    for (; i <= count; i++) print lines[i] > f
    printf "#line default\n    }\n}\n" > f
    close(f)
    printf "%d %d\n", n, start + 1 > (dir "/examples.txt")
  }
  /^```csharp[ \t]*$/ { inside = 1; n++; start = NR; count = 0; next }
  inside && /^```/ { inside = 0; flush(); next }
  inside { lines[++count] = $0 }
' "$readme"
[ -f "$proj/examples.txt" ] || { echo "README.md has no \`\`\`csharp block"; exit 1; }

{
  echo 'return args[0] switch'
  echo '{'
  while read -r n line; do
    if grep -q '^    public static async Task Run' "$proj/Example$n.cs"; then
      echo "    \"$n\" => Run(() => Example$n.Run().GetAwaiter().GetResult()),"
    else
      echo "    \"$n\" => Run(Example$n.Run),"
    fi
  done < "$proj/examples.txt"
  echo '    _ => 2,'
  echo '};'
  echo 'static int Run(Action example) { example(); return 0; }'
} > "$proj/Program.cs"

echo "== README examples: $(wc -l < "$proj/examples.txt") C# blocks against $version from $feed"
if ! dotnet build "$proj" -c Release -p:RestoreAdditionalProjectSources="$feed" > "$work/build.log" 2>&1; then
  # Name the example of each error: the last one starting at or before the error's README.md line.
  grep -E ': error ' "$work/build.log" | sort -u | awk -v list="$proj/examples.txt" '
    BEGIN { while ((getline l < list) > 0) { split(l, f, " "); n++; num[n] = f[1]; at[n] = f[2] } }
    { ex = "?"; if (match($0, /README\.md\([0-9]+/)) { line = substr($0, RSTART + 10, RLENGTH - 10) + 0
        for (i = 1; i <= n; i++) if (at[i] <= line) ex = num[i] " (README.md line " at[i] ")" }
      print "FAIL README example " ex ": " $0 }'
  grep -qE ': error ' "$work/build.log" || cat "$work/build.log"
  echo "README examples: do not compile"
  exit 1
fi
dll=$proj/bin/Release/net10.0/ReadmeExamples.dll
failed=0
while read -r n line; do
  if (cd "$work" && timeout 300 dotnet "$dll" "$n") > "$work/run$n.log" 2>&1; then
    echo "ok   README example $n (README.md line $line)"
  else
    rc=$?
    cat "$work/run$n.log"
    echo "FAIL README example $n (README.md line $line): exit code $rc"
    failed=$((failed + 1))
  fi
done < "$proj/examples.txt"
[ "$failed" -eq 0 ] || { echo "README examples: $failed failed"; exit 1; }
echo "README examples: ok"
