"""`seedforge build` checks the journal's location and a configured endpoint before it starts
Prefect: a mistake is one line and exit code, with no flow run and no traceback."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()
SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "seed_tasks_en.jsonl"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(tmp_path: Path, base_url: str) -> Path:
    path = tmp_path / "build.yaml"
    path.write_text(
        f"name: pre\nllm:\n  base_url: {base_url}\n  model: m\ngenerate:\n  seeds: {SEEDS}\n  target: 2\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("journal", "endpoint_listens", "code", "expected"),
    [
        ("mysql://u:secretpw@h/db", True, 2, "mysql://u:***@h/db"),
        (None, False, 3, "127.0.0.1"),
    ],
)
def test_a_bad_journal_or_a_dead_endpoint_is_one_line_before_prefect_starts(
    journal: str | None,
    endpoint_listens: bool,
    code: int,
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SEEDFORGE_DATA_DIR", str(tmp_path / "data"))
    if journal:
        monkeypatch.setenv("SEEDFORGE_JOURNAL_URL", journal)
    listener = socket.create_server(("127.0.0.1", 0)) if endpoint_listens else None
    port = listener.getsockname()[1] if listener else _free_port()
    try:
        started = time.monotonic()
        result = runner.invoke(app, ["build", str(_config(tmp_path, f"http://127.0.0.1:{port}/v1"))])
    finally:
        if listener:
            listener.close()
    assert result.exit_code == code, result.output
    assert expected in result.output and "secretpw" not in result.output
    assert "Traceback" not in result.output and "Flow run" not in result.output
    assert time.monotonic() - started < 30
    assert not (tmp_path / "data" / "datasets").exists()


def test_the_llm_line_names_every_endpoint_of_a_build() -> None:
    from pydantic import SecretStr

    from pipeline.build.run import endpoint_line
    from pipeline.llm.endpoint import Endpoint
    from pipeline.llm.replicas import Replica

    replicas = tuple(Replica(f"http://h{n}:8000/v1", SecretStr("k"), f"m{n}") for n in (1, 2))
    several = Endpoint("http://h1:8000/v1", "k", "m1", embedded=False, replicas=replicas)
    assert endpoint_line(several) == "2 endpoints: http://h1:8000/v1 (m1), http://h2:8000/v1 (m2)"
    one = Endpoint("http://h1:8000/v1", "k", "m1", embedded=False)
    assert endpoint_line(one) == "endpoint http://h1:8000/v1 model m1"


def test_a_language_other_than_the_datasets_is_one_line_before_prefect_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.build.history import build_settings
    from pipeline.config import BuildConfig, load_config
    from pipeline.dataset.builds import claimed_build
    from pipeline.dataset.versions import datasets_root

    monkeypatch.setenv("SEEDFORGE_DATA_DIR", str(tmp_path / "data"))
    config_file = _config(tmp_path, f"http://127.0.0.1:{_free_port()}/v1")  # nothing listens
    english = load_config(config_file, BuildConfig)
    with claimed_build(datasets_root(), english.name, None, build_settings(english)):
        pass  # an earlier build of the dataset, in English
    chinese = tmp_path / "zh.yaml"
    chinese.write_text(config_file.read_text(encoding="utf-8") + "  language: zh\n", encoding="utf-8")
    result = runner.invoke(app, ["build", str(chinese)])
    assert result.exit_code == 2, result.output
    assert "built with language 'en' (this config: 'zh')" in " ".join(result.output.split())
    assert "Traceback" not in result.output and "Flow run" not in result.output
    assert len(result.output.strip().splitlines()) <= 3, result.output
