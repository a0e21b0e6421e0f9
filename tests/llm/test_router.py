"""Several endpoints: headroom routing, an endpoint killed mid-run, probing back in, nothing
sent to two endpoints, the all-refuse error. Two scripted fault servers, counted at each."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from pipeline.errors import EndpointError, SeedforgeError
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint, open_endpoint, run_requests
from pipeline.llm.health import STORM_SIZE, Health
from pipeline.llm.journal import Journal
from pipeline.llm.replicas import Replica
from pipeline.llm.request import ChatRequest, ChatResult
from tests.support import faults
from tests.support.fault_server import FaultServer, most_in_flight
from tests.support.llm_fixtures import FAST, SECRET, ask


def pooled(*servers: FaultServer, weights: tuple[float, ...] = (), ready: tuple[bool, ...] = ()) -> Endpoint:
    replicas = tuple(
        Replica(
            s.base_url,
            SecretStr(SECRET),
            "m",
            weight=weights[n] if weights else 1.0,
            ready=ready[n] if ready else True,
        )
        for n, s in enumerate(servers)
    )
    return Endpoint(servers[0].base_url, SECRET, "m", embedded=False, replicas=replicas)


def answered(server: FaultServer) -> Counter[str]:
    return server.answered_counts()


def test_requests_spread_over_both_endpoints_by_headroom(tmp_path: Path) -> None:
    config = FAST.model_copy(update={"adaptive": False, "concurrency": 2})
    with (
        FaultServer(latency_s=0.15) as a,
        FaultServer(latency_s=0.15) as b,
        Journal(tmp_path / "j.db") as journal,
    ):
        results, stats = run_requests(pooled(a, b), config, journal, [ask(f"q{n}") for n in range(16)])
    assert all(r.ok for r in results) and stats.sent == 16
    # equal weights and windows: about an even split (each takes the next request as it frees
    # a slot, so answer-time jitter may move one or two)
    on_a, on_b = len(a.received), len(b.received)
    assert on_a + on_b == 16 and abs(on_a - on_b) <= 2, (on_a, on_b)
    # both windows busy at once: more in flight than one endpoint's window of 2 allows (counted
    # from the servers' arrival times, not timed: a loaded machine slows both sides alike)
    arrivals = [r.at for r in a.received + b.received]
    assert most_in_flight(arrivals, 0.15) >= 3
    assert not set(answered(a)) & set(answered(b))


def test_weight_gives_a_larger_share_of_the_free_slots(tmp_path: Path) -> None:
    # 4 slots each, 6 requests at once: scores 3, 2.25, 1.5 (a) beat 1 (b); then a's 0.75
    # loses to b's 1, ties go to the first: a, a, a, b, a, b
    config = FAST.model_copy(update={"adaptive": False, "concurrency": 4})
    with FaultServer() as a, FaultServer() as b, Journal(tmp_path / "j.db") as journal:
        endpoint = pooled(a, b, weights=(3.0, 1.0))
        for batch in range(5):
            run_requests(endpoint, config, journal, [ask(f"q{batch}-{n}") for n in range(6)])
    assert (len(a.received), len(b.received)) == (20, 10)


def test_the_journal_key_does_not_depend_on_the_endpoint(tmp_path: Path) -> None:
    requests = [ask(f"q{n}") for n in range(10)]
    with FaultServer() as a, FaultServer() as b, Journal(tmp_path / "j.db") as journal:
        first, _ = run_requests(pooled(a, b), FAST, journal, requests)
        # the same requests through one endpoint: every answer comes from the journal
        again, stats = run_requests(
            Endpoint(b.base_url, SECRET, "m", embedded=False), FAST, journal, requests
        )
    assert [r.key for r in first] == [r.key for r in again]
    assert stats.journal_hits == 10 and stats.sent == 0


def test_each_endpoint_gets_its_own_model_name_on_the_wire(tmp_path: Path) -> None:
    with FaultServer() as a, FaultServer() as b, Journal(tmp_path / "j.db") as journal:
        endpoint = pooled(a, b)
        other = Replica(b.base_url, SecretStr(SECRET), "other-name")
        endpoint = Endpoint(a.base_url, SECRET, "m", embedded=False, replicas=(endpoint.replicas[0], other))
        run_requests(endpoint, FAST, journal, [ask(f"q{n}") for n in range(6)])
    assert {r.body["model"] for r in a.received} == {"m"}
    assert {r.body["model"] for r in b.received} == {"other-name"}


def test_an_endpoint_killed_mid_run_hands_its_requests_to_the_other(tmp_path: Path) -> None:
    config = FAST.model_copy(update={"adaptive": False, "probe_after_s": 60.0, "max_attempts": 4})
    a = FaultServer(latency_s=0.05).start()
    with FaultServer(latency_s=0.02) as b, Journal(tmp_path / "j.db") as journal:
        endpoint = pooled(a, b)
        first, _ = run_requests(endpoint, config, journal, [ask(f"q{n}") for n in range(10)])
        a.stop()  # killed between batches: connections refused
        results, stats = run_requests(endpoint, config, journal, [ask(f"r{n}") for n in range(20)])
        health = endpoint.run.replicas[0].health if endpoint.run.replicas else None
    assert all(r.ok for r in first + results)
    assert health is not None and health.out and health.taken_out == 1
    # nothing answered twice, by one server or by both
    both = answered(a) + answered(b)
    assert max(both.values()) == 1 and len(both) == 30
    assert stats.retries.get("connection", 0) <= config.concurrency  # only what was sent before it was out


def test_requests_in_flight_when_an_endpoint_dies_finish_on_the_other(tmp_path: Path) -> None:
    config = FAST.model_copy(update={"adaptive": False, "probe_after_s": 60.0, "max_attempts": 4})
    # a: the 3rd request hangs and the connection drops (the server died under it); then refused
    a = FaultServer([faults.answer(), faults.answer(), faults.dropped()], default=faults.answer()).start()
    with FaultServer(latency_s=0.01) as b, Journal(tmp_path / "j.db") as journal:
        endpoint = pooled(a, b)
        results, _ = run_requests(endpoint, config, journal, [ask(f"q{n}") for n in range(3)])
        a.stop()
        more, _ = run_requests(endpoint, config, journal, [ask(f"r{n}") for n in range(12)])
    assert all(r.ok for r in results + more)
    both = answered(a) + answered(b)
    assert len(both) == 15 and max(both.values()) == 1


def test_a_probe_brings_an_endpoint_back(tmp_path: Path) -> None:
    config = FAST.model_copy(update={"adaptive": False, "probe_after_s": 0.2})
    with FaultServer(latency_s=0.02) as b, Journal(tmp_path / "j.db") as journal:
        a = FaultServer(latency_s=0.02).start()
        port = a.port
        a.stop()
        endpoint = pooled(a, b, ready=(False, True))  # out from the start, as open_endpoint marks it
        run_requests(endpoint, config, journal, [ask(f"q{n}") for n in range(4)])
        with FaultServer(latency_s=0.02, port=port) as revived:
            assert endpoint.run.replicas is not None
            health = endpoint.run.replicas[0].health
            # batches past the (doubled) probe delay probe it; on a loaded machine the probe's
            # answer may land after a batch has ended, so wait for it rather than a fixed time
            deadline, batch = time.monotonic() + 20, 0
            while health.out and time.monotonic() < deadline:
                time.sleep(0.3)
                run_requests(endpoint, config, journal, [ask(f"r{batch}-{n}") for n in range(4)])
                batch += 1
            assert not health.out
            results, _ = run_requests(endpoint, config, journal, [ask(f"s{n}") for n in range(20)])
            assert not endpoint.run.replicas[0].health.out
            assert len(revived.received) >= 5  # back in: it takes its share again
    assert all(r.ok for r in results)


def test_a_storm_of_5xx_takes_an_endpoint_out(tmp_path: Path) -> None:
    config = FAST.model_copy(update={"adaptive": False, "probe_after_s": 60.0, "concurrency": 1})
    with (
        FaultServer(default=faults.server_error(503)) as a,
        FaultServer() as b,
        Journal(tmp_path / "j.db") as journal,
    ):
        endpoint = pooled(a, b)
        results, _ = run_requests(endpoint, config, journal, [ask(f"q{n}") for n in range(20)])
    assert all(r.ok for r in results)
    assert len(a.received) == STORM_SIZE  # then it was out for the rest of the run
    assert len(answered(b)) == 20


@pytest.mark.parametrize("status", [401, 403, 404])
def test_an_endpoint_that_refuses_is_out_for_the_run_and_the_others_answer(
    tmp_path: Path, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    """Its key or model is wrong there: the run goes on without it (no probe brings it back)."""
    config = FAST.model_copy(update={"adaptive": False, "probe_after_s": 0.05, "concurrency": 1})
    with (
        FaultServer(default=faults.server_error(status)) as a,
        FaultServer() as b,
        Journal(tmp_path / "j.db") as journal,
    ):
        endpoint = pooled(a, b)
        results, stats = run_requests(endpoint, config, journal, [ask(f"q{n}") for n in range(12)])
        time.sleep(0.2)  # a probe (were one started) would have brought it back by now
        more, _ = run_requests(endpoint, config, journal, [ask(f"r{n}") for n in range(4)])  # next batch
    assert all(r.ok for r in results + more)
    assert len(a.received) == 1  # the one attempt that found out
    assert len(answered(b)) == 16
    assert stats.retries["endpoint_refused"] == 1
    assert (
        f"refused a request with HTTP {status}" in caplog.text
        and "out for the rest of the run" in caplog.text
    )


def test_when_the_last_endpoint_refuses_too_the_run_stops(tmp_path: Path) -> None:
    config = FAST.model_copy(update={"adaptive": False, "concurrency": 1})
    with (
        FaultServer(default=faults.server_error(401)) as a,
        FaultServer(default=faults.server_error(401)) as b,
        Journal(tmp_path / "j.db") as journal,
    ):
        with pytest.raises(EndpointError, match="HTTP 401"):
            run_requests(pooled(a, b), config, journal, [ask(f"q{n}") for n in range(5)])
    assert len(a.received) == 1 and len(b.received) == 1


def test_health_rules() -> None:
    health = Health(probe_after_s=1.0)
    assert not health.on_failure("http_503", 0.0) and not health.on_failure("timeout", 0.0)
    assert not health.on_failure("http_429", 0.0)  # a live server: the count starts again
    assert [health.on_failure("http_500", 0.0) for _ in range(STORM_SIZE)] == [False, False, True]
    assert health.probe_at == 1.0
    health.on_probe(False, 1.0)
    assert health.probe_at == 3.0  # twice the delay after a failed probe
    health.on_probe(True, 3.0)
    assert not health.out
    assert health.on_failure("connection", 4.0) and health.out
    assert health.on_answer() and not health.out


def test_one_router_probes_while_the_others_wait_for_its_answer() -> None:
    health = Health(probe_after_s=1.0)
    assert health.take_out(0.0, "connection")
    assert not health.claim_probe(0.5, 5.0)  # not due yet
    assert health.claim_probe(1.0, 5.0)
    assert not health.claim_probe(1.0, 5.0) and health.next_probe_s(1.0) == 5.0  # one prober
    health.on_probe(False, 1.2)
    assert health.probe_at == 3.2 and health.next_probe_s(1.2) == 2.0  # doubled once, not per router
    assert health.claim_probe(3.2, 5.0)
    assert health.claim_probe(8.2, 5.0)  # a probe that never answered frees the claim


def test_many_clients_send_one_probe_at_a_time(tmp_path: Path) -> None:
    # batches in flight each make a client and a router per step, from their own threads: when
    # the failing endpoint's probe is due, one of them probes; before, every router made while
    # it was out sent its own probe at the same instant
    config = FAST.model_copy(update={"adaptive": False, "concurrency": 1, "probe_after_s": 0.3})
    results: list[ChatResult] = []

    def steps(endpoint: Endpoint, journal: Journal, c: int) -> None:
        # one step after another, at least 0.8 s in all: most clients are made while it is out,
        # and the probe (due 0.3 s after it went out) falls inside the run even when threads
        # start late on a loaded machine (with 4 steps a fast run could end before it was due)
        for n in range(8):
            results.extend(run_requests(endpoint, config, journal, [ask(f"c{c}-{n}")])[0])

    with (
        FaultServer(default=faults.server_error(503)) as a,
        FaultServer(latency_s=0.1) as b,
        Journal(tmp_path / "j.db") as journal,
    ):
        endpoint = pooled(a, b)
        threads = [threading.Thread(target=steps, args=(endpoint, journal, c), daemon=True) for c in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert len(results) == 64  # (some quarantined: the failing endpoint's answers count as retries)
    probes = sorted(a.models_asked)
    assert probes, "the run was too short for a probe: nothing was tested"
    gaps = [later - earlier for earlier, later in zip(probes, probes[1:], strict=False)]
    assert all(gap > 0.1 for gap in gaps), gaps


def test_an_endpoint_taken_out_by_a_batch_that_ended_is_probed_back_by_the_one_still_running() -> None:
    import asyncio

    from pipeline.llm.admission import Outcome
    from pipeline.llm.failures import Failure
    from pipeline.llm.router import Router, replica_states

    with FaultServer() as a, FaultServer() as b:  # both healthy: the failure was a blip
        config = LLMConfig(base_url=a.base_url, model="m", probe_after_s=0.1)
        replicas = tuple(Replica(s.base_url, SecretStr(SECRET), "m") for s in (a, b))
        states = replica_states(config, replicas, time.monotonic())  # the run's, shared by its batches

        async def main() -> tuple[bool, bool]:
            first, second = Router(replicas, states, config, None), Router(replicas, states, config, None)
            ticket = await first.acquire(0.0, 0)
            first.release(ticket, Outcome(0.01, Failure("connection", "reset", retryable=True)))
            taken_out = states[ticket.replica].health.out
            await first.aclose()  # that batch ends, and its probe with it
            second.release(await second.acquire(0.0, 0), Outcome(0.01, None))  # the other batch sends
            await asyncio.sleep(1.0)  # ten probe delays
            await second.aclose()
            return taken_out, states[ticket.replica].health.out

        taken_out, still_out = asyncio.run(main())
    assert taken_out and not still_out


def test_a_router_whose_every_endpoint_was_refused_fails_instead_of_waiting() -> None:
    import asyncio

    from pipeline.llm.failures import LLMEndpointError
    from pipeline.llm.router import Router, replica_states

    with FaultServer() as a, FaultServer() as b:
        config = LLMConfig(base_url=a.base_url, model="m")
        replicas = tuple(Replica(s.base_url, SecretStr(SECRET), "m") for s in (a, b))
        states = replica_states(config, replicas, time.monotonic())
        for state in states:  # two batches' threads, each refusing one while the other looked
            state.health.refuse("HTTP 401")

        async def main() -> None:
            router = Router(replicas, states, config, None)
            try:
                await asyncio.wait_for(router.acquire(0.0, 0), timeout=5)
            finally:
                await router.aclose()

        with pytest.raises(LLMEndpointError, match="every endpoint refused"):
            asyncio.run(main())


# ---- opening: config, the all-refuse error ------------------------------------------------


def test_base_url_and_endpoints_together_is_an_error_naming_both() -> None:
    with pytest.raises(ValidationError, match=r"llm.base_url and llm.endpoints are both set"):
        LLMConfig(base_url="http://a/v1", endpoints=[{"base_url": "http://b/v1"}])


def test_api_key_env_must_be_a_variable_name_and_the_error_does_not_repeat_it() -> None:
    with pytest.raises(ValidationError) as caught:
        LLMConfig(endpoints=[{"base_url": "http://b/v1", "api_key_env": "sk-live-123456"}])
    (error,) = caught.value.errors()
    assert "not the key itself" in error["msg"] and "sk-live" not in error["msg"]


def test_every_endpoint_refusing_stops_before_any_request(unused_port_pair: tuple[int, int]) -> None:
    first, second = unused_port_pair
    config = LLMConfig(
        model="m",
        endpoints=[
            {"base_url": f"http://127.0.0.1:{first}/v1"},
            {"base_url": f"http://127.0.0.1:{second}/v1"},
        ],
    )
    with pytest.raises(EndpointError) as caught, open_endpoint(config):
        pytest.fail("opened")
    message = str(caught.value)
    assert f"127.0.0.1:{first}" in message and f"127.0.0.1:{second}" in message
    assert message.count("nothing answers at") == 2


def test_one_endpoint_refusing_at_start_starts_out(tmp_path: Path, unused_port_pair: tuple[int, int]) -> None:
    with FaultServer() as b:
        config = LLMConfig(
            endpoints=[{"base_url": f"http://127.0.0.1:{unused_port_pair[0]}/v1"}, {"base_url": b.base_url}]
        )
        with open_endpoint(config) as endpoint:
            assert endpoint.model == "m"  # discovered from the one that answered
            assert [r.ready for r in endpoint.replicas] == [False, True]
            with Journal(tmp_path / "j.db") as journal:
                results, _ = run_requests(endpoint, FAST, journal, [ask(f"q{n}") for n in range(5)])
    assert all(r.ok for r in results) and len(b.received) == 5


def test_a_missing_key_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEEDFORGE_TEST_KEY_B", raising=False)
    config = LLMConfig(
        endpoints=[
            {"base_url": "http://127.0.0.1:1/v1"},
            {"base_url": "http://127.0.0.1:2/v1", "api_key_env": "SEEDFORGE_TEST_KEY_B"},
        ]
    )
    with (
        pytest.raises(SeedforgeError, match=r"\$SEEDFORGE_TEST_KEY_B, which is not set"),
        open_endpoint(config),
    ):
        pass


def test_each_endpoint_sends_its_own_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SEEDFORGE_TEST_KEY_A", "sk-aaaa-1111")
    monkeypatch.setenv("SEEDFORGE_TEST_KEY_B", "sk-bbbb-2222")
    with FaultServer() as a, FaultServer() as b, Journal(tmp_path / "j.db") as journal:
        config = LLMConfig(
            model="m",
            endpoints=[
                {"base_url": a.base_url, "api_key_env": "SEEDFORGE_TEST_KEY_A"},
                {"base_url": b.base_url, "api_key_env": "SEEDFORGE_TEST_KEY_B"},
            ],
        )
        with open_endpoint(config) as endpoint:
            assert "sk-" not in repr(endpoint)
            run_requests(endpoint, FAST, journal, [ask(f"q{n}") for n in range(6)])
    assert {r.authorization for r in a.received} == {"Bearer sk-aaaa-1111"}
    assert {r.authorization for r in b.received} == {"Bearer sk-bbbb-2222"}


@pytest.fixture
def unused_port_pair() -> tuple[int, int]:
    from pipeline.llm.embedded import free_port

    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


def test_a_base_url_option_replaces_the_configured_endpoints() -> None:
    from pipeline.commands.common import llm_overrides

    config = LLMConfig(endpoints=[{"base_url": "http://a/v1"}, {"base_url": "http://b/v1"}])
    overridden = config.model_copy(update=llm_overrides(base_url="http://c/v1", model=None))
    assert [e.base_url for e in overridden.endpoint_list()] == ["http://c/v1"]


def test_the_cli_stops_with_exit_3_listing_each_endpoint_and_writes_nothing(
    tmp_path: Path, data_dir: Path, unused_port_pair: tuple[int, int]
) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app
    from pipeline.settings import SEEDS_DIR

    urls = [f"http://127.0.0.1:{port}/v1" for port in unused_port_pair]
    config = tmp_path / "run.yaml"
    config.write_text("llm:\n  endpoints:\n" + "".join(f"    - base_url: {u}\n" for u in urls))
    out = tmp_path / "out" / "records.jsonl"
    seeds = SEEDS_DIR / "seed_tasks_en.jsonl"
    args = [
        "generate",
        "self-instruct",
        "--seeds",
        str(seeds),
        "--n",
        "2",
        "--out",
        str(out),
        "--config",
        str(config),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 3, result.output
    assert "no endpoint of llm.endpoints answers" in result.output
    assert all(url in result.output for url in urls)
    assert not out.parent.exists() or not any(out.parent.iterdir())


def test_llm_replicas_starts_that_many_embedded_servers_and_routes_over_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.llm.endpoint as endpoint_module

    started: list[int] = []

    def fake_start(count: int, log_path: Path | None, stack: object, **kw: object) -> list[FaultServer]:
        started.append(count)
        return [a, b][:count]

    monkeypatch.setattr(endpoint_module, "start_servers", fake_start)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with FaultServer() as a, FaultServer() as b, Journal(tmp_path / "j.db") as journal:
        with open_endpoint(LLMConfig(replicas=2)) as endpoint:
            assert endpoint.embedded and [r.base_url for r in endpoint.replicas] == [a.base_url, b.base_url]
            config = FAST.model_copy(update={"adaptive": False, "concurrency": 3})
            run_requests(
                endpoint, config, journal, [ask(f"q{n}") for n in range(6)]
            )  # all 6 admitted at once
    assert started == [2] and len(a.received) == len(b.received) == 3


def test_a_client_that_finds_every_endpoint_full_is_woken_when_a_slot_frees(tmp_path: Path) -> None:
    # two batches in flight, each in its own thread with its own client: the second starts while
    # the first holds every slot of both endpoints, so it must be told when one frees
    config = FAST.model_copy(update={"adaptive": False, "concurrency": 1})
    answers: dict[str, list[ChatResult]] = {}

    def batch(name: str, endpoint: Endpoint, journal: Journal, requests: list[ChatRequest]) -> None:
        answers[name] = run_requests(endpoint, config, journal, requests)[0]

    with (
        FaultServer(latency_s=0.3) as a,
        FaultServer(latency_s=0.3) as b,
        Journal(tmp_path / "j.db") as journal,
    ):
        endpoint = pooled(a, b)
        first = threading.Thread(target=batch, args=("first", endpoint, journal, [ask("a1"), ask("a2")]))
        first.start()
        while len(a.received) + len(b.received) < 2:  # both windows taken by the first client
            time.sleep(0.01)
        second = threading.Thread(target=batch, args=("second", endpoint, journal, [ask("b1")]), daemon=True)
        second.start()
        second.join(20)
        first.join(20)
    assert "second" in answers, "the second client was never woken"
    assert all(r.ok for r in answers["first"] + answers["second"])
    assert len(a.received) + len(b.received) == 3


def _step_on(server: FaultServer, step: str) -> int:
    return sum(1 for r in server.received if r.body["messages"][0]["content"].startswith(step))


def test_two_steps_in_flight_run_each_on_its_own_endpoint(tmp_path: Path) -> None:
    """A step's prompts share their start, which a llama.cpp server computes once and reuses:
    two batches' steps at once go one to each server, not both to both. (A step that starts
    alone spreads first; at most its first window lands on the other's home.)"""
    config = FAST.model_copy(update={"adaptive": False, "concurrency": 2})
    with (
        FaultServer(latency_s=0.1) as a,
        FaultServer(latency_s=0.1) as b,
        Journal(tmp_path / "j.db") as journal,
    ):
        endpoint = pooled(a, b)
        results: dict[str, list[ChatResult]] = {}

        def step(name: str) -> None:
            results[name] = run_requests(endpoint, config, journal, [ask(f"{name} q{n}") for n in range(12)])[
                0
            ]

        threads = [threading.Thread(target=step, args=(name,)) for name in ("alpha", "beta")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert endpoint.run.replicas is not None and all(not s.homes for s in endpoint.run.replicas)
        # the homes are given back: a lone step after them spreads over both again
        a_before, b_before = len(a.received), len(b.received)
        run_requests(endpoint, config, journal, [ask(f"gamma q{n}") for n in range(8)])
        assert abs((len(a.received) - a_before) - (len(b.received) - b_before)) <= 2
    assert all(r.ok for rs in results.values() for r in rs) and len(results) == 2
    split = {name: (_step_on(a, name), _step_on(b, name)) for name in ("alpha", "beta")}
    assert sum(map(sum, split.values())) == 24
    assert all(min(on_a, on_b) <= config.concurrency for on_a, on_b in split.values()), split
    assert (
        split["alpha"][0] > split["alpha"][1]
        and split["beta"][1] > split["beta"][0]
        or (split["alpha"][1] > split["alpha"][0] and split["beta"][0] > split["beta"][1])
    ), split


def test_a_step_whose_home_goes_out_shares_the_other_endpoint_at_once(tmp_path: Path) -> None:
    """Once its home is out of service a step has no claim, and the other step's home is lent
    to it while busy: it does not wait for that step to end."""
    config = FAST.model_copy(
        update={"adaptive": False, "concurrency": 2, "probe_after_s": 60.0, "max_attempts": 4}
    )
    b = FaultServer(latency_s=0.1).start()
    with FaultServer(latency_s=0.1) as a, Journal(tmp_path / "j.db") as journal:
        endpoint = pooled(a, b)
        results: dict[str, list[ChatResult]] = {}

        def step(name: str, count: int) -> None:
            results[name] = run_requests(
                endpoint, config, journal, [ask(f"{name} q{n}") for n in range(count)]
            )[0]

        alpha = threading.Thread(target=step, args=("alpha", 24))
        alpha.start()
        time.sleep(0.15)  # alpha's home is the first endpoint; beta's the second
        beta = threading.Thread(target=step, args=("beta", 8))
        beta.start()
        time.sleep(0.3)
        b.stop()  # beta's home dies under it
        alpha.join()
        beta.join()
    assert all(r.ok for rs in results.values() for r in rs)
    on_a = sorted((r.at, r.body["messages"][0]["content"].split()[0]) for r in a.received)
    last_alpha = max(at for at, name in on_a if name == "alpha")
    beta_on_a = [at for at, name in on_a if name == "beta"]
    assert beta_on_a and min(beta_on_a) < last_alpha, "beta waited for alpha's step to end"


def test_a_step_with_nothing_waiting_lends_its_home_to_a_busy_one(tmp_path: Path) -> None:
    """One slow request in flight at a step's home does not keep another step off the rest
    of that endpoint's window: only a home step with requests waiting keeps its claim."""
    config = FAST.model_copy(update={"adaptive": False, "concurrency": 4, "timeout_s": 10.0})

    def slow_for_beta(body: dict) -> faults.Action:
        beta = body["messages"][0]["content"].startswith("beta")
        return faults.answer(delay_s=2.0 if beta else 0.1)

    with (
        FaultServer(policy=slow_for_beta) as a,
        FaultServer(policy=slow_for_beta) as b,
        Journal(tmp_path / "j.db") as journal,
    ):
        endpoint = pooled(a, b)
        beta = threading.Thread(target=run_requests, args=(endpoint, config, journal, [ask("beta q0")]))
        beta.start()  # alone: home on the first endpoint, one slow request in flight there
        time.sleep(0.3)
        alpha, _ = run_requests(endpoint, config, journal, [ask(f"alpha q{n}") for n in range(24)])
        beta.join()
    assert all(r.ok for r in alpha)
    on_a = [r for r in a.received if r.body["messages"][0]["content"].startswith("alpha")]
    assert len(on_a) >= 6, "alpha kept off beta's home, whose window had 3 slots free"
