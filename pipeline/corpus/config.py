"""`seedforge corpus build --config FILE`: what a corpus build keeps, removes and how it packs.

Every setting has a default, so a build needs no file; a YAML file overrides some of them and a
misspelt key or a bad value is an error naming the file and line."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from pipeline.corpus.boilerplate import BoilerplateConfig
from pipeline.corpus.dedup import CorpusDedupConfig
from pipeline.corpus.quality import QualityConfig
from pipeline.curate.config import PIIConfig
from pipeline.errors import SeedforgeError
from pipeline.settings import StrictModel


class CorpusConfig(StrictModel):
    base_model: str | None = Field(
        default=None,
        description="Model whose tokenizer packs the blocks (an HF folder or id); None: the embedded model",
    )
    block_size: int = Field(default=512, ge=2, le=1 << 20, description="Tokens per packed block")
    heldout_fraction: float = Field(
        default=0.05, ge=0, lt=1, description="Share of documents held out (chosen by a hash of the id)"
    )
    languages: list[str] | None = Field(
        default=None, description="Keep only documents in these ISO 639-1 languages; None keeps every one"
    )
    text_field: str = Field(default="text", description="The field holding the text in JSONL sources")
    quality: QualityConfig = Field(default_factory=QualityConfig)
    boilerplate: BoilerplateConfig = Field(default_factory=BoilerplateConfig)
    dedup: CorpusDedupConfig = Field(default_factory=CorpusDedupConfig)
    pii: PIIConfig = Field(default_factory=PIIConfig)


def load_corpus_config(path: Path | None) -> CorpusConfig:
    """The defaults, or the YAML file at `path` over them."""
    from pipeline.yaml_input import read_yaml_mapping, validate_yaml

    if path is None:
        return CorpusConfig()
    if not path.is_file():
        raise SeedforgeError("corpus config file not found", path=path)
    data, text = read_yaml_mapping(path, contents="corpus build settings")
    return validate_yaml(CorpusConfig, data, text, path)
