#!/usr/bin/env bash
# One device-tool call's worth of GPU checks, in order of value, under one deadline: runs .gpu/run.sh stage by stage
# while time is left (DEADLINE seconds, default 400; each stage gets at most what is left), then packs every result
# into $OUT/gpu-results.tgz (the device tool brings back at most 8 files) and prints a summary.
#   bash .ci/gpu-session.sh [stage ...]     (default: info cuda nccl conformance replay bench)
set -uo pipefail
cd "$(dirname "$0")/.."
deadline=${DEADLINE:-400}
start=$(date +%s)
res=/tmp/tessera-gpu-results
rm -rf "$res" && mkdir -p "$res"
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(info cuda nccl conformance replay bench)
declare -A budget=([info]=40 [cuda]=150 [cuda_each]=200 [nccl]=100 [conformance]=200 [replay]=60 [bench]=150 [torch]=90 [native]=90 [onnx]=200 [train]=120 [train_dp]=330 [sanitizer]=200 [tests]=300)
for s in "${stages[@]}"; do
  left=$(( deadline - ($(date +%s) - start) ))
  want=${budget[$s]:-120}
  if [ "$left" -lt 20 ]; then echo "== $s skipped: ${left}s left of ${deadline}s"; continue; fi
  [ "$want" -gt "$left" ] && want=$left
  OUT=$res STAGE_TIMEOUT=$want BENCH_DEVICE=${BENCH_DEVICE:-cuda} BENCH_SIZE=${BENCH_SIZE:-small} bash .gpu/run.sh "$s" 2>&1 | tail -n 25
done
mkdir -p "${OUT:-/tmp}" && tar -C "$res" -czf "${OUT:-/tmp}/gpu-results.tgz" .
echo "== results: $(ls "$res" | wc -l) files in gpu-results.tgz; $(( $(date +%s) - start )) s in all"
grep -h -E "^(Passed|Failed)!|Total:|exit [0-9]+$" "$res"/*.txt 2>/dev/null | head -n 20
