"""seedforge's shipped data: seed tasks, run configs and sample knowledge-base files.

This folder installs as the package `pipeline.seeds` (pyproject.toml maps it), so wheels and
editable installs carry it; `pipeline.settings.seeds_dir()` finds it with importlib.resources."""
