"""What a study starts from, checked before any training: the version's train split, the eval
items (the held-out split or an eval file, decontaminated once against the whole split so every
size is scored on the same items) and the plan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.curate.config import CurateConfig
from pipeline.dataset.versions import load_version, resolve_version
from pipeline.errors import SeedforgeError
from pipeline.evaluate.evalsets import EvalItem, items_from_records, load_eval_set
from pipeline.evaluate.rubrics import GENERAL, canonical_category
from pipeline.evaluate.run import EvalRequest, decontaminate_items
from pipeline.records import Record, content_hash
from pipeline.study.config import SizeStudyConfig
from pipeline.study.plan import StudyPlan, make_plan, select_categories


@dataclass
class StudyInputs:
    version_path: Path
    train: list[Record]
    validation: list[Record]
    items: list[EvalItem]
    eval_set: str
    decontaminated: int
    plan: StudyPlan


def _eval_items(
    eval_set: str | Path | None, heldout: list[Record], train: list[Record], version_path: Path
) -> tuple[list[EvalItem], str, int]:
    if eval_set is None:
        items, name = items_from_records(heldout), f"{version_path.parent.name} held-out split"
    else:
        items, name = load_eval_set(eval_set), str(eval_set)
    request = EvalRequest(
        base_model="", adapter_dir=Path(), out_dir=Path(), training_records=train, curate=CurateConfig()
    )
    clean, dropped = decontaminate_items(items, request)
    return clean, name, len(dropped)


def _check_eval_categories(
    items: list[EvalItem], categories: list[str], per_category: bool, source: str
) -> list[EvalItem]:
    if not per_category:
        return items
    if all(item.category == GENERAL for item in items):
        raise SeedforgeError(
            "the eval set's items carry no category, and per-category scores are asked: add a "
            "`category` field to its records, or pass --no-per-category",
            path=source,
        )
    studied = [item for item in items if canonical_category(item.category) in categories]
    if not studied:
        present = sorted({item.category for item in items})
        raise SeedforgeError(
            f"no eval item is in the studied categories ({', '.join(categories)}); the eval set has "
            + ", ".join(present),
            path=source,
        )
    return studied


def load_inputs(
    dataset: str | Path, config: SizeStudyConfig, eval_set: str | Path | None = None
) -> StudyInputs:
    version_path = resolve_version(str(dataset))
    version, train, heldout = load_version(version_path)
    if not train:
        raise SeedforgeError("the version's train split is empty", path=version_path)
    categories = select_categories(train, config.categories, str(version_path))
    items, name, dropped = _eval_items(eval_set, heldout, train, version_path)
    if not items:
        raise SeedforgeError(
            "the eval set is empty" + (" after decontamination" if dropped else ""), path=name
        )
    items = _check_eval_categories(items, categories, config.per_category, name)
    plan = make_plan(
        train,
        config.sizes,
        categories,
        config.seed,
        dataset=str(version_path),
        dataset_id=str(version.manifest.get("content_id") or content_hash(*sorted(r.id for r in train))),
        eval_items=[item.id for item in items],
    )
    return StudyInputs(version_path, train, heldout, items, name, dropped, plan)
