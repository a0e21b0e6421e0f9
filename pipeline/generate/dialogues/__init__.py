"""Knowledge-base dialogues: patient/doctor (customer/agent, user/assistant) conversations
written from one KB entry at a time and grounded in it.

- `build.build`: the stage's entry point (CLI and flow): pending entries, generation, outputs;
- `config`: `DialogueConfig`; `result`: `DialogueRun`, `DialogueBuild` and the JSON report;
- `loop`: rounds of attempts per entry and the review of each draft;
- `turns`: each side of a turn as an LLM step; `prompts`, `templates`: what is asked;
- `grounding`, `dedup`: the checks a dialogue must pass; `records`: drafts as records;
- `coverage`, `outputs`: the coverage report and the files written.
"""
