#!/usr/bin/env bash
# The bash path behind build.ps1: build, test, or run the main job.
#   .ci/build.sh build   -> dotnet build Runtime.sln -c Release (analyzers on, warnings are errors: Directory.Build.props)
#   .ci/build.sh test    -> dotnet test Runtime.sln -c Release, then the conformance suites and the ONNX backend
#                           test suites again on the OpenCL device (TESSERA_TEST_DEVICE=opencl; POCL's CPU device
#                           where no GPU driver is installed)
#   .ci/build.sh main    -> tessera bench (the CPU suite against its baselines)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
case "${1:-build}" in
  build) dotnet build Runtime.sln -c Release ;;
  test)
    status=0
    dotnet test Runtime.sln -c Release || status=$?
    TESSERA_TEST_DEVICE=opencl dotnet test tests/Tessera.Tests -c Release --no-build \
      --filter "FullyQualifiedName~Tessera.Tests.Conformance|FullyQualifiedName~Tessera.Tests.Onnx.ImportSuiteTests" || status=$?
    exit $status ;;
  main)  dotnet run -c Release --project src/Tessera.Cli -- bench ;;
  *) echo "usage: $0 build|test|main" >&2; exit 2 ;;
esac
