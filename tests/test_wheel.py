"""The installed package is complete: a wheel built from the source tree, installed (not
editable) into a fresh virtual environment, runs `seedforge build` and imports every flow from
an empty folder, and the compose image's layout (prefect.yaml beside the installed flows) loads
every deployment's entrypoint. The fast test checks pyproject's explicit package list."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
# what the Dockerfile copies into its build stage: a wheel needs nothing else
SOURCES = ("pyproject.toml", "README.md", "pipeline", "flows", "seeds")
# every flow a deployment names, imported from the installed wheel
FLOW_MODULES = tuple(
    sorted(
        {
            "flows." + Path(d["entrypoint"].split(":")[0]).stem
            for d in yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
        }
    )
)


def test_pyproject_lists_every_package_and_ships_the_seeds() -> None:
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join(init.parent.relative_to(REPO).parts)
        for top in ("pipeline", "flows")
        for init in (REPO / top).rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    listed = set(setuptools["packages"])
    missing = sorted(on_disk - listed)
    assert not missing, f"add these packages to [tool.setuptools] packages in pyproject.toml: {missing}"
    assert listed - on_disk == {"pipeline.seeds"}
    assert setuptools["package-dir"] == {"pipeline.seeds": "seeds"}
    assert (REPO / "seeds" / "__init__.py").is_file()
    # every shipped data file matches a package-data pattern
    patterns = setuptools["package-data"]["pipeline.seeds"]
    shipped = {p.relative_to(REPO / "seeds").as_posix() for p in (REPO / "seeds").rglob("*") if p.is_file()}
    data = {f for f in shipped if not f.endswith(".py") and "__pycache__" not in f}
    unmatched = sorted(f for f in data if not any(Path(f).match(pattern) for pattern in patterns))
    assert not unmatched, unmatched


def test_seeds_are_found_as_package_data() -> None:
    import importlib.resources

    from pipeline.settings import SEEDS_DIR, resolve_path

    assert SEEDS_DIR == Path(str(importlib.resources.files("pipeline.seeds")))
    assert (SEEDS_DIR / "configs" / "nightly.yaml").is_file()
    # seeds/... that is not under the base folder: the shipped copy
    assert resolve_path("seeds/kb/medical_conditions.csv", Path("/nonexistent")) == (
        SEEDS_DIR / "kb" / "medical_conditions.csv"
    )
    assert resolve_path("other/file.csv", Path("/nonexistent")) == Path("/nonexistent/other/file.csv")
    assert resolve_path("/abs/file.csv") == Path("/abs/file.csv")


def test_shipped_configs_load_from_any_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.config import BuildConfig, load_config
    from pipeline.settings import SEEDS_DIR

    monkeypatch.chdir(tmp_path)  # no seeds/ here: the shipped copies
    config = load_config("seeds/configs/nightly.yaml", BuildConfig)
    assert config.generate.seeds == (SEEDS_DIR / "seed_tasks_en.jsonl").resolve()
    own = tmp_path / "conf" / "mine.yaml"  # a user's own config naming the shipped Chinese seeds
    own.parent.mkdir()
    own.write_text("name: mine\ngenerate:\n  seeds: seeds/seed_tasks_zh.jsonl\n  language: zh\n")
    assert load_config(own, BuildConfig).generate.seeds == (SEEDS_DIR / "seed_tasks_zh.jsonl").resolve()
    (tmp_path / "conf" / "seeds").mkdir()
    (tmp_path / "conf" / "seeds" / "seed_tasks_zh.jsonl").write_text("")  # a local copy wins
    assert load_config(own, BuildConfig).generate.seeds == tmp_path / "conf" / "seeds" / "seed_tasks_zh.jsonl"


def test_the_build_flow_reads_the_nightly_config_on_use() -> None:
    import inspect

    from flows.build_dataset import build_dataset, nightly_config

    assert inspect.signature(build_dataset.fn).parameters["config"].default is None
    assert nightly_config().name == "nightly"  # read on use, from the package data


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A wheel built from a copy of the sources, installed into a fresh venv that takes torch and
    the other dependencies from the system install (nothing is downloaded)."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "src"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(REPO / name, source / name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            ".",
            "-w",
            str(root / "dist"),
        ],
        source,
        env,
    )
    (wheel,) = (root / "dist").glob("seedforge-*.whl")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], root, env)
    # --ignore-installed: the system's (editable) seedforge stays where it is, the venv gets its own
    _run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--ignore-installed",
            "--disable-pip-version-check",
            "-q",
            str(wheel),
        ],
        root,
        env,
    )
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", VIRTUAL_ENV=str(venv))
    return venv, env


def _venv_python(venv: Path) -> str:
    return str(venv / "bin" / "python")


@pytest.mark.slow
def test_the_wheel_imports_from_its_own_site_packages(installed, tmp_path: Path) -> None:
    venv, env = installed
    empty = tmp_path / "empty"
    empty.mkdir()
    probe = textwrap.dedent(
        f"""
        import json, sysconfig
        import {", ".join(FLOW_MODULES)}
        import pipeline, flows
        from pipeline.settings import SEEDS_DIR
        from pipeline.curate.structure.leakage import template_ngrams
        from pipeline.curate.structure.measure import MEASURED
        print(json.dumps({{"site": sysconfig.get_paths()["purelib"], "pipeline": pipeline.__file__,
                           "flows": flows.__file__, "seeds": str(SEEDS_DIR),
                           "template_ngrams": len(template_ngrams()), "measured": str(MEASURED)}}))
        """
    )
    seen = json.loads(_run([_venv_python(venv), "-c", probe], empty, env).splitlines()[-1])
    site = Path(seen["site"])
    assert site.is_relative_to(venv), seen
    for key in ("pipeline", "flows", "seeds"):
        assert Path(seen[key]).is_relative_to(site), seen
    seeds = Path(seen["seeds"])
    for name in ("seed_tasks_en.jsonl", "seed_tasks_zh.jsonl", "configs/nightly.yaml", "configs/demo.yaml"):
        assert (seeds / name).is_file(), name
    assert (seeds / "kb" / "medical_conditions.csv").is_file()
    # the structure step's shipped data (the build test leaves that step out)
    assert seen["template_ngrams"] > 0
    assert Path(seen["measured"]).is_file() and Path(seen["measured"]).is_relative_to(site), seen
    assert not list(empty.iterdir())  # importing wrote nothing where it ran


@pytest.mark.slow
def test_entrypoints_load_from_the_compose_image_layout(installed, tmp_path: Path) -> None:
    """/app in the image: prefect.yaml and a `flows` link to the installed flows, no source
    tree. Every deployment's entrypoint loads there the way the worker loads it (from the working
    directory the pull step sets), on the installed package; the KB flow's default paths
    resolve to the shipped files."""
    venv, env = installed
    app = tmp_path / "app"
    app.mkdir()
    shutil.copy(REPO / "prefect.yaml", app / "prefect.yaml")
    site = _run(
        [_venv_python(venv), "-c", "import flows, os; print(os.path.dirname(flows.__file__))"], app, env
    )
    (app / "flows").symlink_to(site.strip(), target_is_directory=True)  # as the Dockerfile does
    entrypoints = [
        d["entrypoint"] for d in yaml.safe_load((REPO / "prefect.yaml").read_text())["deployments"]
    ]
    probe = textwrap.dedent(
        """
        import json, sys
        from prefect.flows import load_flow_from_entrypoint
        names = [load_flow_from_entrypoint(e).name for e in sys.argv[1:]]
        import pipeline
        from flows.ingest_knowledge_base import _path
        from pipeline.config import KnowledgeBaseParams
        from pipeline.domain.config import DomainAdaptParams
        from pipeline.settings import resolve_path
        kb = [str(_path(p)) for p in KnowledgeBaseParams().paths]
        kb += [str(resolve_path(p) / "01_gaoxueya.txt") for p in DomainAdaptParams().paths]
        print(json.dumps({"names": names, "pipeline": pipeline.__file__, "kb": kb}))
        """
    )
    seen = json.loads(_run([_venv_python(venv), "-c", probe, *entrypoints], app, env).splitlines()[-1])
    assert seen["names"] == [
        "build-dataset",
        "ingest-knowledge-base",
        "finetune",
        "evaluate",
        "curate-file",
        "seedforge-pipeline",
        "size-study",
        "domain-adapt",
    ]
    assert Path(seen["pipeline"]).is_relative_to(venv)
    assert all(Path(p).is_file() and Path(p).is_relative_to(venv) for p in seen["kb"]), seen["kb"]


@pytest.mark.slow
def test_seedforge_build_runs_from_an_empty_folder(installed, embedded_server, tmp_path: Path) -> None:
    from pipeline.curate.config import STEPS

    venv, env = installed
    work = tmp_path / "work"
    work.mkdir()
    config = work / "tiny.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "name": "wheeltest",
                "llm": {"base_url": embedded_server.base_url, "max_tokens": 160, "concurrency": 1},
                # not in this folder: the seeds shipped in the wheel
                "generate": {
                    "seeds": "seeds/seed_tasks_en.jsonl",
                    "target": 4,
                    "max_requests": 60,
                    "tasks_per_request": 4,
                },
                # the installed package is under test, not the quality gate: the 135M model's
                # records rarely pass the structural checks, which sends the build to max_requests
                "curate": {"steps": [step for step in STEPS if step != "structure"]},
                "evaluate": {"heldout_fraction": 0.3, "min_heldout": 1},
                "exports": ["jsonl"],
            }
        )
    )
    data = tmp_path / "data"
    run_env = {**env, "SEEDFORGE_DATA_DIR": str(data), "PREFECT_HOME": str(tmp_path / "prefect")}
    out = _run([str(venv / "bin" / "seedforge"), "build", str(config)], work, run_env, timeout=900)
    assert "dataset version" in out, out
    (manifest,) = data.glob("datasets/wheeltest/v*/manifest.json")
    counts = json.loads(manifest.read_text())["counts"]
    assert counts["train"] + counts["heldout"] >= 2, counts
    assert sorted(p.name for p in work.iterdir()) == ["tiny.yaml"]  # outputs went to the data dir
