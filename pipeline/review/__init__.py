"""Human review of generated records: a sample a person reads before (or after) a version is
published, and decisions that stick.

- `config.py`: `ReviewConfig`, the `review:` section of a build config (off by default)
- `models.py`: verdicts, the fixed list of rejection reasons, a decision, a submission, a
  stored session
- `sampling.py`: which records a reviewer reads: per category and per risk, lowest quality
  score first, never a record reviewed before
- `form.py`: the typed form (one group of fields per sampled record) the Prefect UI renders,
  and what a filled form means
- `decisions.py`: checking a submission against its sample and applying it to records:
  rejections with reason `human_rejected`, edited outputs with the edit in the lineage
- `store.py`: the sessions a dataset's reviewers applied (DATA_DIR/review/NAME): reviewed
  records are never asked about again, no session is applied twice
- `gate.py`: the review step of a dataset build (`review_build`), with the asking left to
  the caller (the flow pauses for the Prefect UI)
- `stats.py`: counts, the estimated defect rate of the unreviewed rest (Wilson interval) and
  suggestions from rejection reasons that recur
- `report.py`: the review section of build reports and the review artifact's table
- `version.py`: a reviewed version written on top of a dataset's latest (`seedforge review`)
- `terminal.py`: the one-record-at-a-time terminal review (rich)

Imports nothing here, so `config` stays importable from `pipeline.config`."""
