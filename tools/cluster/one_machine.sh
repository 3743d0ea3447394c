#!/bin/sh
# One machine, N shards at a time with GNU parallel or xargs (each resumable), then the merge.
# `deno task reproduce nb201-correlation --workers N` does the same in one command.
#   SHARDS=8 JOBS=4 RUN=study sh tools/cluster/one_machine.sh --scale paper --data DIR --truth FILE
set -eu
SHARDS=${SHARDS:-4} JOBS=${JOBS:-2} RUN=${RUN:-study}
SCALE=$(echo "$@" | sed -n 's/.*--scale \([a-z]*\).*/\1/p'); SCALE=${SCALE:-smoke}
seq 0 $((SHARDS - 1)) | SIGEO_THREADS=1 OPENBLAS_NUM_THREADS=1 xargs -P "$JOBS" -I{} \
  npx -y deno@2.9.6 task reproduce nb201-correlation "$@" --shard "{}/$SHARDS" --run-id "$RUN-shard-{}-of-$SHARDS"
# or: parallel -j "$JOBS" npx -y deno@2.9.6 task reproduce nb201-correlation "$@" --shard {}/$SHARDS \
#       --run-id "$RUN-shard-{}-of-$SHARDS" ::: $(seq 0 $((SHARDS - 1)))
npx -y deno@2.9.6 task merge --run-id "$RUN" \
  $(seq 0 $((SHARDS - 1)) | sed "s|.*|results/nb201-correlation/$SCALE/$RUN-shard-&-of-$SHARDS|")
