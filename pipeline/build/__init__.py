"""Dataset builds: every scheduled build of a dataset name adds to what the earlier ones kept.

- `run.py`: `build_dataset`, the one entry point of `seedforge build` and the build-dataset flow
- `history.py`: the earlier builds: settings they fixed, the curation index, the parent version
- `publish.py`: the next version, then the index; why a build added nothing
- `result.py`: `DatasetBuild`, what a build returns
- `summary.py`: the summary and the Markdown report, growth included

Build identity (new or resumed) is `pipeline.dataset.builds`; versions that accumulate,
`pipeline.dataset.growth`."""
