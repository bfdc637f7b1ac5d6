#!/usr/bin/env bash
# One training session on a borrowed GPU machine that has Python 3.12, JAX, pybind11 and g++ but no
# TensorFlow and no network (training/device_train.py says why it trains with Keras 3 on JAX there).
#
#   tools/train_on_gpu.sh RUN_FOLDER SECONDS OUT_FOLDER [more options of training/device_train.py]
#
# Run from the repository root, with these beside it (made on this side, carried to the machine):
#   .whl/     keras, namex and optree wheels for Python 3.12 (pip download, see README "Training on a GPU")
#   .devpack/ tygem-train.data.gz (the run's games file, gzipped) and init.npz
#             (python tools/gpu_session.py export RUN_FOLDER .devpack/init.npz)
# Options given after OUT_FOLDER come after the script's own, so they win: `--weights W.npz --start N`
# continues a session's line from its training.npz instead of .devpack/init.npz. Paths are relative
# to the repository root, where the trainer runs.
# SECONDS counts from the Python trainer's start to its last step; setting up here takes about a minute more,
# validating and saving a few seconds after.
set -euo pipefail
run=$1 seconds=$2 out=$3
shift 3
site=/tmp/golois-site
started=$(date +%s)
rm -rf "$site" /tmp/golois-obj  # a machine used before keeps /tmp
mkdir -p "$out" "$site" /tmp/golois-obj

python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" .whl/*.whl

# The golois package as pyproject.toml's package-dir lays it out (the trainer needs no engine or server),
# with its C++ core compiled one file per core (setup.py's flags).
cp -r golois_cpp/golois "$site/golois"
cp -r network "$site/golois/network"
cp -r training "$site/golois/training"
cxx=$(command -v g++ || command -v c++ || command -v clang++)
include="-I$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])') -I$(python3 -c 'import pybind11; print(pybind11.get_include())')"
suffix=$(python3 -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
export include cxx
# shellcheck disable=SC2016
printf '%s\n' golois_cpp/src/*.cpp | xargs -P "$(nproc)" -I{} sh -c \
    '"$cxx" -O3 -march=x86-64-v2 -fno-math-errno -std=c++17 -fPIC -fvisibility=hidden $include -c {} -o /tmp/golois-obj/$(basename {} .cpp).o'
"$cxx" -shared -pthread /tmp/golois-obj/*.o -o "$site/golois/_core$suffix"
gunzip -c .devpack/tygem-train.data.gz > /tmp/golois-train.data
echo "set up in $(( $(date +%s) - started )) s"

export PYTHONPATH=$site${PYTHONPATH:+:$PYTHONPATH} GOLOIS_KERAS_BACKEND=jax PYTHONUNBUFFERED=1
# -P: the working directory is not put on sys.path, so `golois` is the package just assembled.
python3 -P -m golois.training.device_train --run "$run" --games /tmp/golois-train.data \
    --weights .devpack/init.npz --out "$out" --seconds "$seconds" "$@"
