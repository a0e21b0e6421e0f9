"""Self-instruct generation: new tasks from seed tasks, classification-aware instances,
curated batch by batch until the target is accepted or the budget is spent.

Modules: `config` (the generate: section), `seeds`, `templates` (versioned prompts) and
`prompts` (messages and schemas), `parse_json`, `parse_instructions` and `parse_instances`
(reading model answers), `steps` (the three LLM steps), `screen` (instruction novelty),
`batch` (one batch), `loop` (batches until done), `build` (the entry point of the CLI and
the flow), `report` and `progress`. Nothing is imported here, so `config` stays importable
from `pipeline.config` without a cycle."""
