import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="package")
def shared_prefect_server():
    """One real `prefect server start` for every module of tests/flows whose tests look only at their own
    deployments, runs and artifacts (each module serves its own deployment name): a server
    start costs 15-20 s on two cores. A module that reads everything on its server (the size
    study counts every flow run) or needs auth starts its own. Stopped when tests/flows is done:
    an idle server's background services would slow every later test on two cores."""
    from tests.support.prefect_server import prefect_server

    with prefect_server() as server:
        yield server


def small_build(base_url: str, name: str = "flowtest"):
    from pipeline.config import BuildConfig
    from pipeline.curate.config import STEPS, CurateConfig
    from pipeline.evaluate.config import EvaluateConfig
    from pipeline.generate.self_instruct.config import GenerateConfig
    from pipeline.llm.config import LLMConfig

    # these tests are about the flows, not the quality gate: the embedded 135M model's records
    # rarely pass its structural checks, which would send every run here to max_requests
    steps = [step for step in STEPS if step != "structure"]
    return BuildConfig(
        name=name,
        llm=LLMConfig(base_url=base_url, max_tokens=160, concurrency=1),
        generate=GenerateConfig(target=6, max_requests=80, tasks_per_request=4),
        curate=CurateConfig(steps=steps),
        evaluate=EvaluateConfig(heldout_fraction=0.3, min_heldout=2),
    )


def small_train(base_model: Path):
    from pipeline.train.config import TrainConfig

    return TrainConfig(base_model=str(base_model), epochs=1, batch_size=2, micro_batch_size=2, cutoff_len=128)


def read_artifacts(keys: list[str]) -> dict[str, str]:
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async def _read() -> list:
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys))
            )

    return {a.key: a.data for a in asyncio.run(_read())}


def run_flow_in_child(module: str, flow: str, form: str, params: dict, env: dict[str, str]) -> dict:
    """Run `module.flow(form(**params))` in a child Python (as a worker's process would) and
    return the flow's result, which the child prints as one JSON line."""
    code = (
        "import json, sys\n"
        f"from {module} import {flow}\n"
        f"from {form.rsplit('.', 1)[0]} import {form.rsplit('.', 1)[1]} as Form\n"
        f"print('RESULT=' + json.dumps({flow}(Form.model_validate_json(sys.argv[1]))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(params)],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT="))
    return json.loads(line.removeprefix("RESULT="))
