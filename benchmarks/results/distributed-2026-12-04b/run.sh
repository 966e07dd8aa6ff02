#!/usr/bin/env bash
# Full-epoch data-parallel acceptance (issue 16), 2026-12-04, quiet 2-core machine.
set -u
cd /work/accept2
T="dotnet /work/main/src/Tessera.Cli/bin/Release/net10.0/tessera.dll"
export OMPI_MCA_btl_vader_single_copy_mechanism=none
MPI="mpirun --allow-run-as-root --oversubscribe -np 2"
for M in cnn mlp vit; do
  s=$(date +%s); $T train --model $M --epochs 1 --batch 128 --threads 1 --out s-$M > s-$M.txt 2>&1; echo "s-$M exit $? $(( $(date +%s)-s )) s"
  s=$(date +%s); $MPI $T train --model $M --epochs 1 --data-parallel --batch 64 --threads 1 --out p-$M > p-$M.txt 2>&1; echo "p-$M exit $? $(( $(date +%s)-s )) s"
  s=$(date +%s); $MPI $T train --model $M --epochs 1 --data-parallel --zero 1 --batch 64 --threads 1 --out z-$M > z-$M.txt 2>&1; echo "z-$M exit $? $(( $(date +%s)-s )) s"
done
