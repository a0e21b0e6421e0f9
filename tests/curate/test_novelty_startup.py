"""What `seedforge curate --steps novelty` loads: the novelty step alone needs neither MinHash
(datasketch pulls in scipy) nor numba, and numba's kernels still work where no cache
directory is writable."""

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("datasketch", "scipy", "numba", "llvmlite", "lingua", "phonenumbers", "torch", "prefect")
# light, but each costs tens of milliseconds that a short command in a script would wait for
UNUSED_HERE = ("yaml", "rich", "pydantic_settings")

_RUN_CLI = """
import sys
from pipeline.cli import app
try:
    app(sys.argv[1:], standalone_mode=False)
finally:
    print(sorted({name.split(".")[0] for name in sys.modules}))
"""


def _loaded_by(args: list[str]) -> set[str]:
    done = subprocess.run([sys.executable, "-c", _RUN_CLI, *args], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1].replace("'", '"')))


def test_the_novelty_step_alone_loads_no_heavy_library(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    rows = [
        {"instruction": f"Hi doctor, I have had a headache for {n} days.", "output": "Rest."}
        for n in range(30)
    ]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    loaded = _loaded_by(["curate", str(source), "--out", str(tmp_path / "out.jsonl"), "--steps", "novelty"])
    assert "pipeline" in loaded and not loaded & set(HEAVY)
    assert not loaded & set(UNUSED_HERE)  # no config file, no terminal, no environment read
    kept = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert 0 < len(kept) < 30  # the same question with another number is a near-duplicate


def test_minhash_still_loads_datasketch_when_asked_for(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"instruction": "Explain gravity.", "output": "It pulls."}) + "\n")
    loaded = _loaded_by(["curate", str(source), "--out", str(tmp_path / "out.jsonl"), "--steps", "minhash"])
    assert "datasketch" in loaded and "numba" not in loaded


def test_kernels_compile_without_a_writable_cache_directory() -> None:
    """numba refuses cache=True when no cache locator can write (a read-only install and no
    home directory): the kernels then compile in the process instead of failing at import."""
    code = (
        "import numba.core.caching as caching\n"
        "caching.CacheImpl._locator_classes = []\n"
        "from pipeline.curate import novelty_kernels\n"
        "novelty_kernels.warm_up()\n"
        "print(novelty_kernels.first_match_candidates.stats.cache_hits)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Counter()"  # compiled here, nothing read from a cache
