"""Domain corpora: raw documents (text, Markdown, HTML, JSONL, PDF) read, cleaned, filtered,
deduplicated and packed into token blocks under DATA_DIR/corpora/<name>/v<N>/ for
`seedforge pretrain` and `seedforge vocab extend`."""
