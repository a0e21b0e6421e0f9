#!/bin/bash
# bench/gpu.py on a GPU machine that reaches neither PyPI nor a model hub.
#
#   bash bench/gpu_offline.sh prepare   # here (networked): wheels into .whl/, model folders into .gpu/
#   bash bench/gpu_offline.sh run       # there, from the repository root, with .whl/ and .gpu/ copied
#
# The wheels are for CPython 3.12 on x86-64 (set PY=3.11 etc. to match the GPU machine's python;
# a dry run here with another PY leaves wheels the GPU machine cannot install: prepare again):
# the versions the test suite runs here of the packages a CUDA image with torch seldom holds.
# The model folders hold SmolLM2-135M's config and tokenizer (from the embedded model) and the
# same with SmolLM2-1.7B's dimensions; `--random-weights` gives them random weights there, as
# speed and memory do not depend on the weights' values. Results land in $OUT (default
# /tmp/gpu-out): each run's log, its JSON and the package versions used.
set -u
cd "$(dirname "$0")/.."
case "${1:-}" in
prepare)
    PY=${PY:-3.12}
    version() { python3 -m pip show "$1" 2>/dev/null | awk '/^Version/{print $2}'; }
    wheels=()
    for name in transformers peft trl accelerate datasets pydantic pydantic_core huggingface_hub kernels \
        regex httpx2 httpcore2 truststore hf-xet click tomlkit dill multiprocess gguf \
        annotated_types typing_inspection typing_extensions pydantic-settings python-dotenv; do
        wheels+=("$name==$(version "$name")")
    done
    mkdir -p .whl .gpu
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version "$PY" --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d .whl "${wheels[@]}" || exit 1
    # seedforge itself as a wheel: its seed files are the package data pipeline.seeds, which a
    # checkout on PYTHONPATH does not provide
    rm -f .whl/seedforge-*.whl
    python3 -m pip wheel -q --no-deps --no-build-isolation -w .whl . || exit 1
    python3 - <<'PY' || exit 1
import json, shutil
from pathlib import Path
from pipeline.train.base_model import prepare_base_model

source = Path(prepare_base_model(None))
larger = {"hidden_size": 2048, "intermediate_size": 8192, "num_attention_heads": 32,
          "num_key_value_heads": 32, "num_hidden_layers": 24, "head_dim": 64,
          "rope_parameters": {"rope_theta": 130000.0, "rope_type": "default"}}
for name, change in (("smollm2-135m", {}), ("smollm2-1.7b", larger)):
    folder = Path(".gpu") / name
    folder.mkdir(parents=True, exist_ok=True)
    for file in source.iterdir():
        if file.suffix != ".safetensors" and file.name != "config.json":
            shutil.copy(file, folder / file.name)
    config = {**json.loads((source / "config.json").read_text()), **change}
    (folder / "config.json").write_text(json.dumps(config, indent=2))
PY
    du -sh .whl .gpu
    ;;
run)
    # USE_HUB_KERNELS=NO: transformers would fetch kernels (rotary) from the Hub on CUDA
    export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false USE_HUB_KERNELS=NO
    OUT=${OUT:-/tmp/gpu-out}
    mkdir -p "$OUT"
    start=$(date +%s)
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/gpu-site \
        .whl/*.whl > "$OUT/pip.txt" 2>&1 || { tail -20 "$OUT/pip.txt"; exit 1; }
    export PYTHONPATH=/tmp/gpu-site  # seedforge from its wheel there, not from this checkout
    python3 -c '
import importlib, torch
for name in ("torch", "transformers", "peft", "accelerate", "trl", "datasets", "pyarrow", "pydantic"):
    try:
        print(name, importlib.import_module(name).__version__)
    except Exception as error:
        print(name, "FAILED", repr(error)[:300])
print("cuda", torch.cuda.is_available() and torch.cuda.get_device_name())
' | tee "$OUT/env.txt"
    # the small model first (its three systems in 3 rounds), then the 1.7B in what time is left
    timeout -k 5 "${T1:-200}" python3 bench/gpu.py --device "${DEVICE:-cuda}" --base .gpu/smollm2-135m --random-weights --variants bf16 \
        --steps "${STEPS1:-60}" --json "$OUT/gpu-135m.json" > "$OUT/log-135m.txt" 2>&1
    echo "135m: exit $? after $(( $(date +%s) - start )) s"
    pkill -f "gpu.py --child"
    left=${T2:-$(( ${TOTAL:-560} - $(date +%s) + start ))}
    (( left > 0 )) || { echo "no time left for the 1.7b"; exit 0; }  # timeout 0 would mean none
    timeout -k 5 "$left" python3 bench/gpu.py --device "${DEVICE:-cuda}" --base .gpu/smollm2-1.7b \
        --random-weights --variants bf16 --steps "${STEPS2:-20}" --json "$OUT/gpu-1.7b.json" > "$OUT/log-1.7b.txt" 2>&1
    echo "1.7b: exit $? after $(( $(date +%s) - start )) s"
    pkill -f "gpu.py --child"
    grep -h -E '^(seedforge|alpaca-lora|trl) /|^\||Error' "$OUT/log-135m.txt" "$OUT/log-1.7b.txt"
    ;;
*)
    echo "usage: bash bench/gpu_offline.sh prepare|run" >&2
    exit 2
    ;;
esac
