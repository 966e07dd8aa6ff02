# Thin wrapper over .ci/build.sh (the same commands exist as a bash path; pwsh is optional).
#   ./build.ps1 [build|test|main]
param([ValidateSet('build', 'test', 'main')][string]$Target = 'build')
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot
switch ($Target) {
    'build' { bash .ci/build.sh build }
    'test'  { bash .ci/build.sh test }
    'main'  { dotnet run -c Release --project src/Tessera.Cli -- bench }
}
exit $LASTEXITCODE
