#!/bin/sh
# One machine: an experiment's SHARDS shards, JOBS at a time, with xargs (each resumable), then the merge.
# `deno task reproduce EXPERIMENT --workers N` does the same in one command.
#   SHARDS=8 JOBS=4 RUN=study sh tools/cluster/one_machine.sh nb201-correlation --scale paper --data DIR --truth FILE
# nb201-search and recsys-search: JOBS must equal SHARDS (a search's shards exchange scores at each
# generation and must all run at once).
set -eu
[ $# -ge 1 ] || { echo "usage: one_machine.sh EXPERIMENT [--scale S] [flags…]" >&2; exit 2; }
EXPERIMENT=$1; shift
SHARDS=${SHARDS:-4} JOBS=${JOBS:-2} RUN=${RUN:-study}
SCALE=$(echo "$@" | sed -n 's/.*--scale \([a-z]*\).*/\1/p'); SCALE=${SCALE:-smoke}
case $EXPERIMENT in nb201-search|recsys-search) JOBS=$SHARDS ;; esac
seq 0 $((SHARDS - 1)) | SIGEO_THREADS=1 OPENBLAS_NUM_THREADS=1 xargs -P "$JOBS" -I{} \
  npx -y deno@2.9.6 task reproduce "$EXPERIMENT" "$@" --shard "{}/$SHARDS" --run-id "$RUN-shard-{}-of-$SHARDS"
# or: parallel -j "$JOBS" npx -y deno@2.9.6 task reproduce "$EXPERIMENT" "$@" --shard {}/$SHARDS \
#       --run-id "$RUN-shard-{}-of-$SHARDS" ::: $(seq 0 $((SHARDS - 1)))
SIGEO_THREADS=1 OPENBLAS_NUM_THREADS=1 npx -y deno@2.9.6 task merge --run-id "$RUN" \
  $(seq 0 $((SHARDS - 1)) | sed "s|.*|results/$EXPERIMENT/$SCALE/$RUN-shard-&-of-$SHARDS|")
