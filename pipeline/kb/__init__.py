"""Knowledge bases: loaders for tabular, JSON, Markdown and plain-text files, the field mapping
that says which field names an entry and which hold facts, and the versioned SQLite store."""
