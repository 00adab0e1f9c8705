#!/usr/bin/env bash
# Example containerised training job with Docker: W1 on MNIST on the GPU, resumable, model and pictures in
# ./runs/w1-gpu. The data is installed on the host first (scripts/fetch-data.sh) and mounted read-only: no
# download in the job. Run it again after an interruption and it continues from the last checkpoint
# (BOTTLENECK_RESUME=auto); `docker stop` sends SIGTERM and waits --stop-timeout seconds for the checkpoint.
# The Kubernetes equivalent is docker/k8s-job.yaml.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DATA="${BOTTLENECK_DATA:-$HOME/.cache/bottleneck/data}"
mkdir -p "$ROOT/runs"
# --user: the files in ./runs belong to whoever runs this script, not to the image's uid 10001
docker run --rm --gpus all --name "${NAME:-bottleneck-w1}" --stop-timeout 120 --user "$(id -u):$(id -g)" \
  -e BOTTLENECK_RESUME=auto \
  -v "$DATA":/data:ro -v "$ROOT/runs":/runs "${IMAGE:-bottleneck:gpu}" \
  train mnist --data /data --model w1 --epochs "${EPOCHS:-10}" --checkpoint-every 10m --out /runs/w1-gpu --backend cuda --json
