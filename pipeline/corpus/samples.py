"""Sample corpora for `seedforge corpus build`: the ones shipped in seeds/corpora/ and an English
"Python programming" corpus assembled at run time from this interpreter's standard library.

The Python corpus is built, not shipped: the language reference topics (pydoc_data) and the
docstrings of the stdlib's .py sources are PSF-licensed text that every Python install already
carries, so copying them into the repository would only add megabytes. The walk is sorted and
the output depends only on the interpreter's files, so two builds on one machine are identical.
"""

from __future__ import annotations

import ast
import sysconfig
import warnings
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import SeedforgeError
from pipeline.io import publish_dir, staging_dir
from pipeline.settings import seeds_dir

# Tests, demos and vendored third-party code read like test fixtures rather than documentation;
# private modules (leading underscore) are skipped for the same reason.
_SKIPPED_PARTS = frozenset({"test", "tests", "idlelib", "site-packages", "dist-packages", "__pycache__"})
_MIN_DOCSTRING_CHARS = 40


def shipped_corpus_dir(name: str) -> Path:
    """seeds/corpora/NAME as installed with seedforge (a file or a folder)."""
    path = seeds_dir() / "corpora" / name
    if not path.exists():
        available = sorted(p.name for p in (seeds_dir() / "corpora").iterdir() if p.name != "README.md")
        raise SeedforgeError(f"no shipped corpus {name!r}; shipped: {', '.join(available)}", path=path)
    return path


def _stdlib_sources() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    return sorted(
        path
        for path in root.rglob("*.py")
        if not _SKIPPED_PARTS.intersection(path.relative_to(root).parts[:-1])
        and not path.name.startswith(("test_", "_"))
    )


def _docstrings(tree: ast.Module, module: str) -> Iterator[tuple[str, str]]:
    """(heading, docstring) for the module and every documented class, function and method."""
    doc = ast.get_docstring(tree)
    if doc:
        yield module, doc
    stack: list[tuple[str, ast.AST]] = [(module, tree)]
    while stack:
        prefix, node = stack.pop(0)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}.{child.name}"
                doc = ast.get_docstring(child)
                if doc and len(doc) >= _MIN_DOCSTRING_CHARS:
                    yield name, doc
                if isinstance(child, ast.ClassDef):
                    stack.append((name, child))


def _module_markdown(path: Path, module: str) -> str | None:
    try:
        source = path.read_text(encoding="utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences in old sources
            tree = ast.parse(source, filename=str(path))
    except (UnicodeDecodeError, SyntaxError, ValueError):
        return None
    sections = [f"## {heading}\n\n{doc.strip()}\n" for heading, doc in _docstrings(tree, module)]
    if not sections:
        return None
    return f"# Module {module}\n\n" + "\n".join(sections)


def _topic_texts() -> Iterator[tuple[str, str]]:
    from pydoc_data.topics import topics

    for name in sorted(topics):
        yield name, topics[name]


def write_python_docs_corpus(out_dir: Path, min_bytes: int = 1_200_000) -> Path:
    """Write the Python corpus into OUT_DIR (created whole or not at all): topics/*.txt from the
    language reference, modules/*.md from stdlib docstrings. Stops adding modules once the
    corpus holds min_bytes; raises if this interpreter's stdlib cannot supply that much."""
    if out_dir.exists():
        raise SeedforgeError("the Python docs corpus folder exists already; give a new path", path=out_dir)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    total = 0
    with staging_dir(out_dir) as stage:
        (stage / "topics").mkdir()
        (stage / "modules").mkdir()
        for name, text in _topic_texts():
            data = text.strip().encode("utf-8") + b"\n"
            (stage / "topics" / f"{name}.txt").write_bytes(data)
            total += len(data)
        for path in _stdlib_sources():
            if total >= min_bytes:
                break
            parts = path.relative_to(stdlib).with_suffix("").parts
            module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            markdown = _module_markdown(path, module)
            if markdown is None:
                continue
            data = markdown.encode("utf-8")
            (stage / "modules" / f"{module}.md").write_bytes(data)
            total += len(data)
        if total < min_bytes:
            raise SeedforgeError(
                f"the standard library gave {total:,} bytes of documentation, fewer than min_bytes "
                f"{min_bytes:,}",
                path=stdlib,
            )
        publish_dir(stage, out_dir)
    return out_dir
