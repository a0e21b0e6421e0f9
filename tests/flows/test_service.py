"""seedforge as a service on a real Prefect server: a served deployment triggered through the
API, its artifacts read back, its pages rendered in headless Chromium, and basic auth."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.flows.conftest import small_build
from tests.support.prefect_server import prefect_server, stop_process

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
CANARY_KEY = "sk-canary-7f3a9c1e-never-log-me"


def wait_for_deployment(client: httpx.Client, name: str, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"/deployments/name/{name}")
        if response.status_code == 200:
            return response.json()["id"]
        time.sleep(1)
    raise AssertionError(f"deployment {name} never appeared")


def wait_for_run(client: httpx.Client, run_id: str, timeout: float = 420) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/flow_runs/{run_id}").json()
        if run["state"] and run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return run
        time.sleep(2)
    raise AssertionError("flow run did not finish in time")


def rendered_text(url: str, expect: str, screenshot: Path, *also: str) -> tuple[str, int]:
    """Open a page of the Prefect UI in Debian's Chromium, wait until its text holds `expect`
    and every string of `also`, and return the page's text and how many embedded PNG figures
    actually decoded.

    The page's body is polled rather than read once after the first match: the UI re-renders
    while its queries settle (a CI run once read a skeleton after the run's name had shown)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url)
            wanted = (expect, *also)
            try:
                page.get_by_text(expect, exact=False).first.wait_for(timeout=60_000)
                deadline = time.monotonic() + 60
                while not all(w in page.inner_text("body") for w in wanted):
                    if time.monotonic() > deadline:
                        break  # the caller's assertion shows what the page held
                    page.wait_for_timeout(500)
            finally:
                page.screenshot(path=str(screenshot), full_page=True)
            figures = page.locator("img[src^='data:image/png']")
            loaded = sum(
                1
                for i in range(figures.count())
                if figures.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
            )
            return page.inner_text("body"), loaded
        finally:
            browser.close()


@pytest.fixture(scope="module")
def served_build(embedded_server, shared_prefect_server, tmp_path_factory):
    """A real server, the build deployment served, one run triggered through the API."""
    data = tmp_path_factory.mktemp("service-data")
    server = shared_prefect_server
    config = small_build(embedded_server.base_url, name="servicetest")
    # the service, its report and its pages are under test, not the size (the report's three
    # figures are drawn whatever the counts): a few records do
    config.generate.target = 4
    env = server.client_env(
        SEEDFORGE_DATA_DIR=str(data),
        OPENAI_API_KEY=CANARY_KEY,
        SEEDFORGE_TEST_BUILD_CONFIG=config.model_dump_json(),
        SEEDFORGE_TEST_DEPLOYMENT="it-service",
        PYTHONPATH=str(REPO),
    )
    log = open(data / "serve.log", "wb")
    serving = subprocess.Popen(
        [sys.executable, "-m", "tests.support.serve_deployments"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        with server.client() as client:
            deployment_id = wait_for_deployment(client, "build-dataset/it-service")
            run = client.post(f"/deployments/{deployment_id}/create_flow_run", json={}).json()
            finished = wait_for_run(client, run["id"])
        yield server, finished, data
    finally:
        stop_process(serving)  # the serving process before the server: the other order hangs
        log.close()


def test_deployment_run_completes_and_artifacts_hold_the_report(served_build) -> None:
    server, run, data = served_build
    assert run["state"]["type"] == "COMPLETED", (data / "serve.log").read_text()[-3000:]
    with server.client() as client:
        artifacts = client.post(
            "/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run["id"]]}}}
        ).json()
    by_key = {a["key"]: a for a in artifacts}
    report = by_key["servicetest-build-report"]["data"]
    manifest = json.loads(next(data.glob("datasets/servicetest/v*/manifest.json")).read_text())
    kept = manifest["counts"]["train"] + manifest["counts"]["heldout"]
    assert "## Counts per stage" in report, report[:3000]
    assert f"| train split (version) | {manifest['counts']['train']} |" in report, report[:3000]
    assert f"| held-out split (version) | {manifest['counts']['heldout']} |" in report, report[:3000]
    assert f"| kept by curation | {kept} |" in report, report[:3000]  # every kept record is published
    moved = manifest["growth"]["heldout_moved_to_train"]
    assert f"| held-out picks moved to train (near a training record) | {moved} |" in report, report[:3000]
    assert "data:image/png;base64," in report
    assert {"servicetest-samples", "servicetest-dataset"} <= set(by_key)


def test_ui_renders_the_flow_run_and_the_report_artifact(served_build, tmp_path: Path) -> None:
    server, run, _ = served_build
    text, _ = rendered_text(
        f"{server.ui}/runs/flow-run/{run['id']}", run["name"], tmp_path / "run.png", "build-dataset"
    )
    assert run["name"] in text and "build-dataset" in text
    with server.client() as client:
        artifact = client.post(
            "/artifacts/filter", json={"artifacts": {"key": {"any_": ["servicetest-build-report"]}}}
        ).json()[0]
    text, figures = rendered_text(
        f"{server.ui}/artifacts/artifact/{artifact['id']}",
        "Rejection funnel",
        tmp_path / "artifact.png",
        "Counts per stage",
        "Dataset build",
    )
    assert "Counts per stage" in text and "Dataset build" in text
    assert figures == 3  # length histogram, leading words, rejection reasons
    assert (tmp_path / "artifact.png").stat().st_size > 10_000


def mine(client: httpx.Client, path: str, query: dict) -> list:
    """Every row the filter matches, page by page (one page holds at most 200)."""
    rows: list = []
    while True:
        page = client.post(path, json={**query, "offset": len(rows), "limit": 200}).json()
        rows += page
        if len(page) < 200:
            return rows


def test_llm_key_leaves_no_trace_in_parameters_logs_or_artifacts(served_build) -> None:
    server, run, _ = served_build
    with server.client() as client:
        seen = [
            json.dumps(client.get(f"/flow_runs/{run['id']}").json()),
            json.dumps(
                client.post(
                    "/logs/filter", json={"logs": {"flow_run_id": {"any_": [run["id"]]}}, "limit": 200}
                ).json()
            ),
            # the server is shared with other modules: what this run left, by its id (on a
            # server of its own, "everything" was exactly that)
            json.dumps(
                mine(client, "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run["id"]]}}})
            ),
            json.dumps(mine(client, "/task_runs/filter", {"flow_runs": {"id": {"any_": [run["id"]]}}})),
        ]
    assert len(seen[1]) > 100  # logs were read back, and there is something in them
    assert all(CANARY_KEY not in blob for blob in seen)


def test_basic_auth_refuses_without_the_auth_string() -> None:
    with prefect_server(auth=("admin", "s3cret-pass")) as server:
        url = f"{server.url}/flows/filter"
        assert httpx.post(url, json={}, timeout=10).status_code == 401
        wrong = base64.b64encode(b"admin:wrong").decode()
        assert (
            httpx.post(url, json={}, headers={"Authorization": f"Basic {wrong}"}, timeout=10).status_code
            == 401
        )
        assert httpx.post(url, json={}, auth=("admin", "s3cret-pass"), timeout=10).status_code == 200
