"""The scored quality step: an LLM judge rates each record against a rubric (1-5 and a one-line
reason); records under the bar are dropped with their score as evidence, the others keep it in
`lineage.quality`. Imports nothing, so `config` stays importable from `pipeline.config`.

- `config.py`: `ScoreConfig` (the `score:` settings) and the judge's greedy LLM settings
- `rubric.py`: `Rubric` (criteria and the 1-5 scale per language), `load_rubric`, `BUILTIN_RUBRIC`
- `prompts.py`: the judge's messages (rubric, then the record in one of two orders) and schema
- `step.py`: `QualityScoreStep`, the LLM step (record → `QualityScore` or `Rejection`)
- `consistency.py`: the position-bias re-score and the score/length Spearman correlation
- `report.py`: `ScoreReport` (counts, histogram, bias checks, warnings) and its Markdown
- `run.py`: `score_records` → `ScoreOutcome` (kept, rejected, unscored, usage, consistency)
- `probe.py`: `check_judge`, one request before a run; `ScoreSetupError`
- `files.py`: records in, the settings file, outputs written together
- `build.py`: `build`, the entry point of `seedforge score`
"""
