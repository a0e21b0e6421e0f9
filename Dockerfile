# seedforge image for the compose stack: the worker and the embedded LLM server.
FROM python:3.11-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# CPU torch first: an unpinned torch pulls a multi-GB CUDA build
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
COPY flows ./flows
COPY seeds ./seeds
COPY prefect.yaml ./
# a portable llama.cpp build (no -march=native), so the image runs on other CPUs
RUN CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install --no-cache-dir .

ENV SEEDFORGE_DATA_DIR=/data \
    PREFECT_SERVER_ANALYTICS_ENABLED=false
VOLUME ["/data"]
