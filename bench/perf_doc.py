"""docs/performance.md is shared: each benchmark rewrites only its own marked section.

A section runs from its begin marker to its end marker (`<!-- wipe:begin -->` ...
`<!-- wipe:end -->`); whatever lies outside it is kept byte for byte. Damaged markers
stop the benchmark rather than risk eating another section.
"""

from __future__ import annotations

from pathlib import Path


class MarkerError(Exception):
    """The markers of a section are missing one half, doubled or out of order."""


def replace_section(document: str, section: str, begin: str, end: str) -> str:
    """`document` with the section between `begin` and `end` replaced, or appended."""
    start, stop = document.find(begin), document.find(end)
    if start == -1 and stop == -1:
        if not document.strip():
            return "# Performance\n\n" + section + "\n"
        return document.rstrip("\n") + "\n\n" + section + "\n"
    if start == -1 or stop == -1 or stop < start or document.count(begin) != 1:
        raise MarkerError(f"the {begin} / {end} markers are damaged; fix them by hand")
    return document[:start] + section + document[stop + len(end) :]


def write_section(path: Path, section: str, begin: str, end: str) -> None:
    """Rewrite one section of the markdown file at `path` (created when absent), atomically."""
    document = path.read_text(encoding="utf-8") if path.exists() else ""
    updated = replace_section(document, section, begin, end)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{begin.strip('<!-> ').replace(':', '-')}.tmp")
    tmp.write_text(updated, encoding="utf-8")
    tmp.replace(path)
