"""Which field names an entry and which hold facts: auto-detected from field names, or set by a
mapping file (YAML or JSON). Roles (symptoms, tests, medications, fix, ...) tell the dialogue
templates and the grounding check what each fact is."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.errors import SeedforgeError
from pipeline.yaml_input import read_yaml_mapping, validate_yaml

Domain = Literal["medical", "product_support", "generic"]

# role -> field names (case-folded, `_`/`-` as spaces) that play it
ROLE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "condition",
        "disease",
        "illness",
        "diagnosis",
        "name",
        "title",
        "entry",
        "topic",
        "problem",
        "issue",
        "question",
        "heading",
        "疾病",
        "病名",
        "疾病名称",
        "名称",
        "标题",
        "问题",
    ),
    "symptoms": ("symptoms", "symptom", "signs", "presentation", "complaints", "症状", "表现", "临床表现"),
    "causes": ("causes", "cause", "etiology", "aetiology", "risk factors", "病因", "原因"),
    "tests": (
        "tests",
        "test",
        "diagnostics",
        "investigations",
        "exams",
        "examinations",
        "diagnostic tests",
        "检查",
        "检验",
        "检查项目",
    ),
    "medications": (
        "medications",
        "medication",
        "drugs",
        "drug",
        "medicines",
        "medicine",
        "药物",
        "用药",
        "治疗药物",
        "药品",
    ),
    "fix": ("fix", "fixes", "solution", "resolution", "steps", "remedy", "answer", "解决方法", "处理方法"),
    "parts": ("parts", "part", "components", "spare parts", "配件"),
}
# facts with these roles are lists even when written as comma-separated prose
LIST_ROLES = frozenset({"symptoms", "causes", "tests", "medications", "fix", "parts"})


def field_key(name: str) -> str:
    return " ".join(name.replace("_", " ").replace("-", " ").casefold().split())


class MappingFile(BaseModel):
    """What a user may set; everything left out is auto-detected."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, description="Field that names an entry")
    facts: list[str] | None = Field(default=None, description="Fields holding facts (default: all others)")
    list_fields: list[str] = Field(default_factory=list, description="Facts to parse as lists")
    roles: dict[str, str] = Field(default_factory=dict, description="role -> field, e.g. tests: exams")
    domain: Domain | None = None
    language: Literal["en", "zh"] | None = None
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    encoding: str | None = None
    heading_level: int | None = Field(default=None, ge=1, le=6, description="Markdown: level per entry")
    chunk_tokens: int = Field(default=200, ge=20, description="Plain text: token budget per chunk")
    max_entry_tokens: int = Field(
        default=1024,
        ge=50,
        description="Largest entry accepted, its facts estimated in tokens (CJK-aware): a dialogue's "
        "prompt carries an entry whole, and the embedded model's context is 2,048 tokens",
    )


class ResolvedMapping(BaseModel):
    """The mapping for one file once its fields are known."""

    name: str
    facts: list[str]
    list_fields: list[str]
    roles: dict[str, str]
    domain: Domain


def load_mapping(path: Path | None) -> MappingFile:
    if path is None:
        return MappingFile()
    if not path.is_file():
        raise SeedforgeError("mapping file not found", path=path)
    # YAML is a superset of JSON
    data, text = read_yaml_mapping(path, contents="settings", syntax="YAML/JSON", encoding="utf-8-sig")
    return validate_yaml(MappingFile, data, text, path)


def _detect_role(field: str) -> str | None:
    key = field_key(field)
    return next((role for role, names in ROLE_SYNONYMS.items() if key in names), None)


def _detect_domain(roles: dict[str, str]) -> Domain:
    if "tests" in roles or "medications" in roles:
        return "medical"
    if "fix" in roles:
        return "product_support"
    return "generic"


def resolve_mapping(
    mapping: MappingFile,
    fields: list[str],
    path: Path,
    *,
    header_line: int = 1,
    default_name: str | None = None,
) -> ResolvedMapping:
    """Check the user's mapping against the file's fields and fill in the rest."""
    present = {field_key(f): f for f in fields}

    def existing(field: str, what: str) -> str:
        found = present.get(field_key(field))
        if found is None:
            raise SeedforgeError(
                f"{what} {field!r} is not a field of this file (fields: {', '.join(fields) or 'none'})",
                path=path,
                line=header_line,
            )
        return found

    roles = {
        role: existing(field, f"mapped field for role {role!r},") for role, field in mapping.roles.items()
    }
    name: str | None
    if mapping.name is not None:
        name = existing(mapping.name, "mapped name field")
    else:
        # the first field names the entries when nothing else does, unless it holds facts of a
        # known role: a file of symptoms and tests with no name column is refused, not named
        # by its symptoms
        first = fields[0] if fields and _detect_role(fields[0]) is None else None
        name = (
            roles.get("name")
            or next((f for f in fields if _detect_role(f) == "name"), None)
            or default_name
            or first
        )
        if name is None:
            held = (
                f"its first field, {fields[0]!r}, holds {_detect_role(fields[0])}" if fields else "no fields"
            )
            raise SeedforgeError(
                f"no field names the entries ({held}): add a column such as "
                f"{', '.join(sorted(ROLE_SYNONYMS['name'])[:4])}, or set `name:` in a --mapping file",
                path=path,
                line=header_line,
            )
    roles["name"] = name
    facts = (
        [existing(f, "mapped fact field") for f in mapping.facts]
        if mapping.facts is not None
        else [f for f in fields if f != name]
    )
    for field in facts:
        role = _detect_role(field)
        if role and role != "name" and role not in roles:
            roles[role] = field
    list_fields = [existing(f, "list field") for f in mapping.list_fields]
    list_fields += [f for role, f in roles.items() if role in LIST_ROLES and f not in list_fields]
    return ResolvedMapping(
        name=name,
        facts=facts,
        list_fields=[f for f in list_fields if f in facts],
        roles=roles,
        domain=mapping.domain or _detect_domain(roles),
    )
