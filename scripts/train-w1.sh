#!/usr/bin/env bash
# The main job on a fresh machine: install MNIST, build, train W1 of docs/WORKLOADS.md#w1 (784-32-784, ReLU code, sigmoid
# output, BCE, Adam 1e-3, batch 256) on real MNIST, and write the model and its reconstruction picture to
# runs/w1-mnist/ (model.safetensors, config.json, metrics.csv, reconstruction.png).
#   scripts/train-w1.sh [extra train options, e.g. --epochs 50 --backend cuda]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
scripts/fetch-data.sh --only mnist
mvn -B -q -DskipTests package
exec scripts/bottleneck train mnist --model w1 --epochs 10 --out runs/w1-mnist "$@"
