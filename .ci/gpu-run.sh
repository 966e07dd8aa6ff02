#!/usr/bin/env bash
# Runs on the GPU machine (no .NET SDK there): unpacks the runtime of the bundle made by .ci/gpu-bundle.sh and runs
# the stages named on the command line (default: all, in this order), writing everything under ${OUT:-./gpu-results}:
#   info         nvidia-smi, `tessera devices`                                   → nvidia-smi.txt, devices.txt
#   cuda         the CUDA tests (namespace Tessera.Tests.Cuda)                   → cuda-tests.txt, cuda-tests.xml
#   nccl         the NCCL tests (one rank) and `bench --op allreduce... --backend nccl`, under mpirun too when the
#                machine has Open MPI                                              → nccl-tests.txt/.xml, nccl-bench*.txt/.csv
#   conformance  the conformance suite on the CUDA device (TESSERA_TEST_DEVICE=cuda) → conformance-cuda.txt/.xml
#   sanitizer    compute-sanitizer memcheck on a conformance subset + the CUDA device tests → sanitizer.txt
#   native       builds and runs native/tessera_native_bench.c (nvcc)            → native-bench.jsonl, native-build.txt
#   tests        the whole test assembly on the default device                   → tests.txt
#   onnx         the in-scope ONNX cases on cpu and cuda                          → onnx-<dev>-<suite>.json
#   bench        `tessera bench --device ${BENCH_DEVICE:-all}`                                   → bench.json, bench.txt
#   replay       a 200-node plan node by node against its CUDA-graph replay      → graph-replay.json
#   train_dp     `train --data-parallel` (NCCL, one rank, plain and --zero 1) against one process, cnn and vit
#                                                                                  → train-<model>-*.txt
#   torch        PyTorch baselines (benchmarks/gpu/torch_baseline.py)            → torch-baseline.jsonl
#   train        `tessera train --model cnn --device cuda` (needs .gpu-data/)    → train-cuda/, train.txt
# Each stage runs under `timeout ${STAGE_TIMEOUT:-540}` so that one call of the device tool (10 minutes) can hold it;
# run stages in separate calls when the whole list would not fit (`bash .gpu/run.sh info cuda`, then `... conformance`).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$here/../gpu-results}
mkdir -p "$out"
stage_timeout=${STAGE_TIMEOUT:-540}
export DOTNET_ROOT=${TESSERA_DOTNET_ROOT:-/tmp/tessera-dotnet}
app=${TESSERA_APP_DIR:-/tmp/tessera-app}
untar() {   # untar ARCHIVE DIR: tar with xz where the machine has it, Python's tarfile otherwise
  mkdir -p "$2"
  tar -C "$2" -xJf "$1" 2>/dev/null || python3 -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" "$1" "$2"
}
if [ -f "$here/dotnet.txz" ] && [ ! -x "$DOTNET_ROOT/dotnet" ]; then untar "$here/dotnet.txz" "$DOTNET_ROOT"; fi
if [ -f "$here/app.txz" ] && { [ ! -f "$app/Tessera.Tests.dll" ] || [ "$here/app.txz" -nt "$app/Tessera.Tests.dll" ]; }; then
  rm -rf "$app" && untar "$here/app.txz" "$app"
fi
onnx_data=${TESSERA_ONNX_DATA:-/usr/share/libonnx-testdata/data}
if [ ! -d "$onnx_data" ] && [ -f "$here/onnx-testdata.txz" ]; then
  onnx_data=/tmp/tessera-onnx/data
  [ -d "$onnx_data" ] || untar "$here/onnx-testdata.txz" /tmp/tessera-onnx
fi
fashion=${TESSERA_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}
for d in "$here/../.gpu-data" "$here/.gpu-data"; do [ ! -d "$fashion" ] && [ -d "$d" ] && fashion=$d; done
export PATH="$DOTNET_ROOT:$PATH" DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
export TESSERA_CACHE_DIR=${TESSERA_CACHE_DIR:-/tmp/tessera-cache}
unset CI   # GPU-only tests must run, not be failed for missing CI packages

# CUDA toolkit binaries where the PATH lacks them.
for d in /usr/local/cuda/bin /usr/local/cuda-*/bin; do [ -d "$d" ] && PATH="$PATH:$d"; done

stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(info cuda conformance sanitizer native tests onnx bench replay torch)

run_tests() {   # run_tests NAME [xunit args...]: the in-process xunit v3 runner, text + xml results
  local name=$1; shift
  timeout "$stage_timeout" dotnet "$app/Tessera.Tests.dll" -noColor -result-xml "$out/$name.xml" "$@" > "$out/$name.txt" 2>&1
  echo "$name exit $?" >> "$out/$name.txt"
  tail -n 2 "$out/$name.txt"
}

stage_info() {
  { nvidia-smi || true; } > "$out/nvidia-smi.txt" 2>&1
  timeout "$stage_timeout" dotnet "$app/tessera.dll" devices > "$out/devices.txt" 2>&1
  cat "$out/devices.txt"
}

stage_cuda() { run_tests cuda-tests -namespace Tessera.Tests.Cuda; }

# Where the CUDA tests die (a native crash takes the runner with it): each class in its own process, then each
# method of a class that crashed, the crashing method under gdb when the machine has it → cuda-each.txt
stage_cuda_each() {
  local log=$out/cuda-each.txt classes methods rc
  : > "$log"
  classes=$(dotnet "$app/Tessera.Tests.dll" -list classes -namespace Tessera.Tests.Cuda 2>/dev/null | grep '^Tessera\.')
  for c in $classes; do
    timeout 120 dotnet "$app/Tessera.Tests.dll" -noColor -class "$c" > "$out/each.tmp" 2>&1; rc=$?
    echo "class $c exit $rc $(grep -o 'Total: .*' "$out/each.tmp")" | tee -a "$log"
    [ "$rc" -ge 128 ] || continue
    methods=$(dotnet "$app/Tessera.Tests.dll" -list methods -class "$c" 2>/dev/null | grep '^Tessera\.')
    for m in $methods; do
      timeout 60 dotnet "$app/Tessera.Tests.dll" -noColor -showLiveOutput -method "$m" > "$out/each.tmp" 2>&1; rc=$?
      echo "  method $m exit $rc" | tee -a "$log"
      if [ "$rc" -ge 128 ]; then
        sed 's/^/    | /' "$out/each.tmp" | tail -n 30 >> "$log"
        if command -v gdb >/dev/null; then
          timeout 90 gdb -q -batch -ex 'handle SIG34 nostop noprint pass' -ex 'handle SIG35 nostop noprint pass' -ex 'handle SIGPIPE nostop noprint pass' -ex run -ex bt --args \
            "$DOTNET_ROOT/dotnet" "$app/Tessera.Tests.dll" -noColor -method "$m" 2>&1 | tail -n 40 | sed 's/^/    gdb| /' >> "$log"
        fi
      fi
    done
  done
  rm -f "$out/each.tmp"
}

stage_nccl() {
  run_tests nccl-tests -class Tessera.Tests.Distributed.NcclProbeTests -class Tessera.Tests.Distributed.NcclCommunicatorDeviceTests
  timeout "$stage_timeout" dotnet "$app/tessera.dll" bench --device cuda --backend nccl --op allreduce --op reducescatter \
    --op allgather --op broadcast --size large --out "$out/nccl-bench.csv" > "$out/nccl-bench.txt" 2>&1
  echo "nccl bench exit $?" >> "$out/nccl-bench.txt"
  cat "$out/nccl-bench.txt"
  local mpirun lib
  mpirun=$(command -v mpirun || true)
  lib=$(ldconfig -p 2>/dev/null | awk '/libmpi\.so\.40 /{print $NF; exit}')
  [ -z "$lib" ] && lib=$(find / -xdev -name 'libmpi.so.40' 2>/dev/null | head -n 1)
  if [ -n "$mpirun" ] && [ -n "$lib" ]; then
    TESSERA_LIBMPI=$lib timeout 120 "$mpirun" --allow-run-as-root -np 1 dotnet "$app/tessera.dll" bench --device cuda --backend nccl \
      --op allreduce --size small > "$out/nccl-bench-mpirun.txt" 2>&1
    echo "mpirun nccl bench exit $?" >> "$out/nccl-bench-mpirun.txt"
    tail -n 4 "$out/nccl-bench-mpirun.txt"
  else
    echo "no Open MPI here (mpirun: ${mpirun:-none}, libmpi.so.40: ${lib:-none}): the NCCL id over MPI is unverified" | tee "$out/nccl-bench-mpirun.txt"
  fi
}

stage_conformance() { ( export TESSERA_TEST_DEVICE=cuda; run_tests conformance-cuda -namespace Tessera.Tests.Conformance ); }

stage_sanitizer() {
  local cs
  cs=$(command -v compute-sanitizer || true)
  if [ -z "$cs" ]; then echo "compute-sanitizer not found" | tee "$out/sanitizer.txt"; return; fi
  TESSERA_TEST_DEVICE=cuda TESSERA_CUDA_SYNC=1 timeout "$stage_timeout" "$cs" --tool memcheck --print-limit 50 --error-exitcode 86 \
    dotnet "$app/Tessera.Tests.dll" -noColor -class Tessera.Tests.Cuda.CudaRuntimeDeviceTests -class Tessera.Tests.Cuda.CudaBlasDeviceTests \
    -class Tessera.Tests.Cuda.CudaDnnDeviceTests -class Tessera.Tests.Conformance.ElementwiseTests -class Tessera.Tests.Conformance.LinalgTests \
    > "$out/sanitizer.txt" 2>&1
  echo "sanitizer exit $? (86 = memcheck found errors)" >> "$out/sanitizer.txt"
  grep -E "ERROR SUMMARY|Passed!|Failed!|Total:|exit" "$out/sanitizer.txt" | tail -n 4
}

# Finds a header's include folder and its library in the toolkit, the system or a Python wheel (nvidia/<pkg>).
find_header() {   # find_header cudnn.h cudnn → prints the include folder
  local h=$1 pkg=$2 d
  for d in /usr/local/cuda/include /usr/include /usr/include/x86_64-linux-gnu \
           /usr/lib/python3*/site-packages/nvidia/$pkg/include /usr/local/lib/python3*/{site,dist}-packages/nvidia/$pkg/include \
           "$HOME"/.local/lib/python3*/site-packages/nvidia/$pkg/include; do
    [ -f "$d/$h" ] && { echo "$d"; return; }
  done
}
link_flags() {    # link_flags libcudnn include_dir → -L<dir> -l<name> (the versioned file when there is no unversioned one)
  local base=$1 inc=$2 d f
  for d in "${inc%/include}/lib" "${inc%/include}/lib64" /usr/local/cuda/lib64 /usr/lib/x86_64-linux-gnu; do
    [ -d "$d" ] || continue
    if [ -e "$d/$base.so" ]; then echo "-L$d -l${base#lib}"; return; fi
    f=$(ls "$d/$base.so."* 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$f" ]; then echo "-L$d -l:$(basename "$f")"; return; fi
  done
  echo "-l${base#lib}"
}

stage_native() {
  local src=$here/tessera_native_bench.c bin=/tmp/tessera_native_bench nvcc inc blas flags libpath
  [ -f "$src" ] || src=$here/../native/tessera_native_bench.c
  nvcc=$(command -v nvcc || true)
  blas=$(find_header cublasLt.h cublas)
  flags="$(link_flags libcublasLt "${blas:-/usr/local/cuda/include}")"
  [ -n "$blas" ] && [ "$blas" != /usr/include ] && flags="-I$blas $flags"
  libpath="${blas:+${blas%/include}/lib}"
  inc=$(find_header cudnn.h cudnn)
  if [ -n "$inc" ]; then
    [ "$inc" != /usr/include ] && flags="$flags -I$inc"
    flags="$flags $(link_flags libcudnn "$inc")"
    libpath="${libpath:+$libpath:}${inc%/include}/lib"
  fi
  : > "$out/native-build.txt"
  # nvcc first; the file is plain C, so the host compiler against the CUDA runtime is the fallback.
  local built=0 cc_flags="-I/usr/local/cuda/include -L/usr/local/cuda/lib64 -lcudart"
  if [ -n "$nvcc" ]; then
    echo "$nvcc -O2 -o $bin $src $flags" >> "$out/native-build.txt"
    "$nvcc" -O2 -o "$bin" "$src" $flags >> "$out/native-build.txt" 2>&1 && built=1
  fi
  if [ $built -eq 0 ] && command -v cc >/dev/null; then
    echo "cc -O2 -std=c11 -o $bin $src $cc_flags $flags" >> "$out/native-build.txt"
    cc -O2 -std=c11 -o "$bin" "$src" $cc_flags $flags >> "$out/native-build.txt" 2>&1 && built=1
  fi
  if [ $built -eq 0 ]; then echo "native build failed" | tee -a "$out/native-build.txt"; tail -n 20 "$out/native-build.txt"; return; fi
  LD_LIBRARY_PATH="${libpath:+$libpath:}${LD_LIBRARY_PATH:-}" timeout "$stage_timeout" "$bin" ${NATIVE_BENCH_ARGS:-4096 8192 --iters=20} \
    > "$out/native-bench.jsonl" 2>&1
  echo "native bench exit $?" >> "$out/native-build.txt"
  cat "$out/native-bench.jsonl"
}

stage_tests() {
  timeout "$stage_timeout" dotnet "$app/Tessera.Tests.dll" -noColor > "$out/tests.txt" 2>&1; echo "tests exit $?" >> "$out/tests.txt"
  tail -n 3 "$out/tests.txt"
}

stage_onnx() {
  local data=$onnx_data dev suite
  [ -d "$data" ] || { echo "no ONNX test data at $data"; return; }
  for dev in cpu cuda; do
    for suite in node pytorch-converted pytorch-operator simple; do
      timeout "$stage_timeout" dotnet "$app/tessera.dll" onnx-test "$data/$suite" --device $dev --format json > "$out/onnx-$dev-$suite.json" 2>&1
    done
  done
}

stage_bench() {
  [ -z "${TESSERA_TORCH_ROWS:-}" ] && [ -f "$here/torch_rows.py" ] && export TESSERA_TORCH_ROWS=$here/torch_rows.py
  timeout "$stage_timeout" dotnet "$app/tessera.dll" bench --device ${BENCH_DEVICE:-all} --size ${BENCH_SIZE:-medium} --format json --out "$out/bench.json" > "$out/bench.txt" 2>&1
  tail -n 3 "$out/bench.txt"
}

stage_replay() {
  timeout "$stage_timeout" dotnet "$app/tessera.dll" bench --device cuda --graph-replay 200 --out "$out/graph-replay.json" 2>&1 | tee "$out/graph-replay.txt"
}

stage_train() {
  [ -d "$fashion" ] || { echo "no Fashion-MNIST (build .gpu-data with .ci/gpu-bundle.sh --data and carry it)"; return; }
  timeout "$stage_timeout" dotnet "$app/tessera.dll" train --model cnn --device cuda --epochs ${TRAIN_EPOCHS:-2} \
    --data "$fashion" --out "$out/train-cuda" > "$out/train.txt" 2>&1
  echo "train exit $?" >> "$out/train.txt"
  tail -n 8 "$out/train.txt"
}

# Data-parallel training through NCCL with one rank (the GPU machine has one GPU) against the single-process run on
# the same global batch, for each model of TRAIN_MODELS: the losses must agree → train-<model>-{single,dp,zero}.txt
# and their metrics.json
stage_train_dp() {
  [ -d "$fashion" ] || { echo "no Fashion-MNIST (build .gpu-data with .ci/gpu-bundle.sh --data and carry it)"; return; }
  local dev=${TRAIN_DEVICE:-cuda} mpirun lib model z name
  mpirun=$(command -v mpirun || true)
  lib=${TESSERA_LIBMPI:-$(ldconfig -p 2>/dev/null | awk '/libmpi\.so\.40 /{print $NF; exit}')}
  [ -z "$lib" ] && lib=$(find / -xdev -name 'libmpi.so.40' 2>/dev/null | head -n 1)
  for model in ${TRAIN_MODELS:-cnn vit}; do
    local args=(train --model "$model" --device "$dev" --epochs 1 --batch 128 --data "$fashion" --limit-test 2000)
    timeout 100 dotnet "$app/tessera.dll" "${args[@]}" --out "$out/train-$model-single" > "$out/train-$model-single.txt" 2>&1
    echo "train $model single exit $?" >> "$out/train-$model-single.txt"; tail -n 2 "$out/train-$model-single.txt"
    [ -n "$mpirun" ] && [ -n "$lib" ] || { echo "no Open MPI here: data-parallel training unverified"; continue; }
    for z in 0 1; do
      name=train-$model-dp; [ $z = 1 ] && name=train-$model-zero
      TESSERA_LIBMPI=$lib timeout 100 "$mpirun" --allow-run-as-root --oversubscribe -np 1 dotnet "$app/tessera.dll" "${args[@]}" \
        --data-parallel --zero $z --out "$out/$name" > "$out/$name.txt" 2>&1
      echo "$name exit $?" >> "$out/$name.txt"; tail -n 2 "$out/$name.txt"
    done
  done
}

stage_torch() {
  local script=$here/torch_baseline.py
  [ -f "$script" ] || script=$here/../benchmarks/gpu/torch_baseline.py
  [ -f "$script" ] || { echo "no torch_baseline.py"; return; }
  PYTHONUNBUFFERED=1 timeout "$stage_timeout" python3 "$script" --out "$out/torch-baseline.jsonl" > "$out/torch-baseline.txt" 2>&1
  echo "torch baseline exit $?" >> "$out/torch-baseline.txt"
  tail -n 5 "$out/torch-baseline.txt"
}

for s in "${stages[@]}"; do
  if ! declare -F "stage_$s" >/dev/null; then echo "unknown stage '$s'"; continue; fi
  echo "== $s"
  start=$(date +%s)
  "stage_$s"
  echo "== $s took $(( $(date +%s) - start )) s"
done
