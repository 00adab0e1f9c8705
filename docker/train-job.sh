#!/usr/bin/env bash
# Example containerised training job: W1 on MNIST on the GPU, model and pictures written to ./runs/w1-gpu.
# The data is installed on the host first (scripts/fetch-data.sh) and mounted read-only: no download in the job.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DATA="${BOTTLENECK_DATA:-$HOME/.cache/bottleneck/data}"
docker run --rm --gpus all -v "$DATA":/data:ro -v "$ROOT/runs":/runs bottleneck:gpu \
  train mnist --data /data/mnist --model w1 --epochs "${EPOCHS:-10}" --out /runs/w1-gpu --backend cuda --json
