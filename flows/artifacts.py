"""Publishing reports as Prefect artifacts with stable keys (lowercase, digits, dashes)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

from pipeline.dataset.exports import as_flat


def artifact_key(name: str, kind: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", f"{name}-{kind}".lower()).strip("-")


def publish_markdown(name: str, kind: str, markdown: str, description: str) -> None:
    create_markdown_artifact(markdown=markdown, key=artifact_key(name, kind), description=description)


def publish_samples(name: str, records: list[Any], limit: int = 20) -> None:
    rows = []
    for record in records[:limit]:
        flat = as_flat(record)
        if "messages" in flat:
            flat = {"messages": " ⏎ ".join(f"{m['role']}: {m['content']}" for m in flat["messages"])}
        rows.append({"id": record.id, **{k: str(v)[:400] for k, v in flat.items()}})
    create_table_artifact(
        table=rows, key=artifact_key(name, "samples"), description=f"Sample records of {name}"
    )


def publish_dataset_link(name: str, path: Path, version: int) -> None:
    create_link_artifact(
        link=path.resolve().as_uri(),
        link_text=f"{name} v{version}",
        key=artifact_key(name, "dataset"),
        description="The dataset version",
    )
