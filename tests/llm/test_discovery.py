"""A configured endpoint without a named model: its only model is used (and said), several or
none or no answer stop the run before any request with an error naming the URL; the command
line exits 2 (choose a model) or 3 (the endpoint), never an unexplained 404."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import EndpointError, ExitCode, SeedforgeError, exit_code_for
from pipeline.llm import discovery
from pipeline.llm.config import LLMConfig
from pipeline.llm.discovery import resolve_model
from pipeline.llm.endpoint import check_endpoint, open_endpoint
from pipeline.settings import SEEDS_DIR
from tests.llm.models_server import ModelsServer
from tests.support.fault_server import FaultServer

runner = CliRunner()
NOTHING_LISTENS = "http://127.0.0.1:9/v1"


def test_the_only_served_model_is_used_and_said(caplog: pytest.LogCaptureFixture) -> None:
    with ModelsServer(["qwen2.5-7b-instruct"], owned_by="llamacpp") as server:
        with caplog.at_level(logging.INFO, logger="pipeline.llm"):
            with open_endpoint(LLMConfig(base_url=server.base_url)) as endpoint:
                assert endpoint.model == "qwen2.5-7b-instruct" and endpoint.llama_cpp
    assert "using model 'qwen2.5-7b-instruct', the only model served at" in caplog.text
    assert server.paths == ["/v1/models"]  # asked once


def test_a_named_model_is_kept_and_not_checked_against_the_list() -> None:
    with ModelsServer(["a", "b"]) as server:
        with open_endpoint(LLMConfig(base_url=server.base_url, model="c")) as endpoint:
            assert endpoint.model == "c"  # gateways serve models they do not list
    with ModelsServer(["a"], status=404) as server:
        assert resolve_model(server.base_url, "k", "m").llama_cpp is False  # no listing: not llama.cpp


def test_a_named_model_on_an_address_where_nothing_answers_stops_the_run() -> None:
    with pytest.raises(EndpointError, match=r"nothing answers at http://127.0.0.1:9/v1/models") as raised:
        resolve_model(NOTHING_LISTENS, "k", "m")
    assert exit_code_for(raised.value) == ExitCode.ENDPOINT


def test_several_models_are_listed_for_the_user_to_choose() -> None:
    with ModelsServer(["b-model", "a-model"]) as server, pytest.raises(SeedforgeError) as raised:
        resolve_model(server.base_url, "k", None)
    assert "serves 2 models (a-model, b-model): choose one with --model" in str(raised.value)
    assert exit_code_for(raised.value) == ExitCode.BAD_INPUT


@pytest.mark.parametrize(
    ("models", "status", "message"),
    [
        ([], 200, "serves no model"),
        (["m"], 401, "refused the API key (HTTP 401)"),
        (["m"], 404, "answered HTTP 404: is the URL the API's root"),
    ],
)
def test_none_or_a_refusal_names_the_url(models: list[str], status: int, message: str) -> None:
    with ModelsServer(models, status=status) as server, pytest.raises(EndpointError) as raised:
        resolve_model(server.base_url, "k", None)
    assert message in str(raised.value) and server.base_url in str(raised.value)
    assert exit_code_for(raised.value) == ExitCode.ENDPOINT


def test_nothing_listening_names_the_url() -> None:
    with pytest.raises(EndpointError, match=r"nothing answers at http://127.0.0.1:9/v1/models"):
        resolve_model(NOTHING_LISTENS, "k", None)


def _self_instruct(tmp_path: Path, *extra: str) -> list[str]:
    out = tmp_path / "out.jsonl"
    return [
        "generate",
        "self-instruct",
        "--seeds",
        str(SEEDS_DIR / "seed_tasks_en.jsonl"),
        "--n",
        "1",
        "--out",
        str(out),
        "--max-requests",
        "6",
        *extra,
    ]


def test_cli_base_url_alone_uses_the_served_model(tmp_path: Path, data_dir: Path) -> None:
    with FaultServer() as server:  # serves one model, "m"
        result = runner.invoke(app, _self_instruct(tmp_path, "--base-url", server.base_url))
        asked = {r.body["model"] for r in server.received}
    assert result.exit_code in (0, 4), result.output  # the echo server's answers may not fill the target
    assert asked == {"m"}
    assert f"using model 'm', the only model served at {server.base_url}" in result.output
    report = json.loads((tmp_path / "out.report.json").read_text(encoding="utf-8"))
    assert report["model"] == "m"


def test_cli_several_models_exit_2_and_nothing_unreachable_exits_3(tmp_path: Path, data_dir: Path) -> None:
    with ModelsServer(["a", "b"]) as server:
        several = runner.invoke(app, _self_instruct(tmp_path, "--base-url", server.base_url))
    assert several.exit_code == 2 and "serves 2 models (a, b)" in several.output
    gone = runner.invoke(app, _self_instruct(tmp_path, "--base-url", NOTHING_LISTENS))
    assert gone.exit_code == 3 and "nothing answers at http://127.0.0.1:9/v1/models" in gone.output
    named = runner.invoke(app, _self_instruct(tmp_path, "--base-url", NOTHING_LISTENS, "--model", "m"))
    assert named.exit_code == 3 and "nothing answers at http://127.0.0.1:9/v1/models" in named.output
    assert not (tmp_path / "out.jsonl").exists()
    # nothing half-made: no run folder, no journal
    assert not (data_dir / "runs").exists() and not list(data_dir.glob("journal*"))


def test_cli_judge_url_alone_is_discovered_too() -> None:
    """`seedforge eval` builds its judge config from only the options given."""
    from pipeline.commands.common import llm_overrides

    judge = LLMConfig(**llm_overrides(base_url="http://x/v1", model=None))
    assert judge.named_model() is None
    assert LLMConfig(**llm_overrides(base_url="http://x/v1", model="j")).named_model() == "j"


def test_an_address_that_never_connects_is_unreachable_but_a_slow_listing_is_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import httpx
    import openai

    from pipeline.llm import discovery

    def client_failing_with(cause: Exception) -> type:
        class Client:
            def __init__(self, **_: object) -> None:
                self.models = self

            def __enter__(self) -> Client:
                return self

            def __exit__(self, *_: object) -> None:
                return None

            def list(self) -> list[object]:
                request = httpx.Request("GET", "http://10.0.0.9/v1/models")
                try:
                    raise cause
                except Exception as error:
                    raise openai.APITimeoutError(request=request) from error

        return Client

    monkeypatch.setattr(discovery.openai, "OpenAI", client_failing_with(httpx.ConnectTimeout("no route")))
    with pytest.raises(EndpointError, match="nothing answers at http://10.0.0.9/v1/models"):
        resolve_model("http://10.0.0.9/v1", "k", "m")
    monkeypatch.setattr(discovery.openai, "OpenAI", client_failing_with(httpx.ReadTimeout("slow")))
    assert resolve_model("http://10.0.0.9/v1", "k", "m").model == "m"  # a named model goes on


def test_a_check_hands_its_listing_to_the_next_opening_once(monkeypatch: pytest.MonkeyPatch) -> None:
    with ModelsServer(["only"]) as server:
        config = LLMConfig(base_url=server.base_url)
        check_endpoint(config)
        with open_endpoint(config) as endpoint:
            assert endpoint.model == "only"
        assert server.paths == ["/v1/models"]  # the opening used the check's answer
        with open_endpoint(config):
            pass
        assert len(server.paths) == 2  # handed over once, not kept
        monkeypatch.setattr(discovery, "HANDOVER_S", 0.0)
        check_endpoint(config)
        with open_endpoint(config):
            pass
        assert len(server.paths) == 4  # too old: asked again
