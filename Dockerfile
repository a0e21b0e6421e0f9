# seedforge image for the compose stack: the worker, the one-shot deploy service and the
# embedded LLM server. seedforge is installed as a wheel (not editable), seeds and configs
# included as package data; the source tree is not kept in the image.
FROM python:3.11-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake git fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

# CPU torch first: an unpinned torch pulls a multi-GB CUDA build
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

WORKDIR /src
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
COPY flows ./flows
COPY seeds ./seeds
# a portable llama.cpp build (no -march=native), so the image runs on other CPUs; the dask extra
# lets the curate-file deployment prepare records on a Dask cluster
RUN CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install --no-cache-dir ".[dask]" \
    && cd / && rm -rf /src

# The project folder of prefect.yaml (SEEDFORGE_PROJECT_DIR): the deployments' entrypoints
# (flows/…py) are the installed flows, linked here, so `prefect deploy` and the worker load the
# installed package, never a second copy of the source.
WORKDIR /app
COPY prefect.yaml ./
RUN ln -s "$(python -c 'import flows, os; print(os.path.dirname(flows.__file__))')" flows \
    && python -c "import pipeline.settings as s; assert (s.SEEDS_DIR / 'configs' / 'nightly.yaml').is_file()" \
    && seedforge --help > /dev/null

ENV SEEDFORGE_DATA_DIR=/data \
    SEEDFORGE_PROJECT_DIR=/app \
    PREFECT_SERVER_ANALYTICS_ENABLED=false
VOLUME ["/data"]
