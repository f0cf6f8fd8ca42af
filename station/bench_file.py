"""Edits of a bench profile file that keep its comments: the supervisors' secret hashes
and the screen's remembered settings (large text, high contrast).

Outside the layers, like yamlfile.py: the CLI and the wiring both change the file, and
only these few top-level keys are ever rewritten; every other line stays as written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from station.domain.bench_profile import BenchProfile
from station.errors import ConfigError
from station.yamlfile import load_model


def _without_key(lines: list[str], key: str) -> tuple[list[str], int]:
    """The lines with the top-level `key` and its block removed, and where it stood
    (the end of the file when it was absent)."""
    kept: list[str] = []
    where = -1
    inside = False
    for line in lines:
        if re.match(rf"^{re.escape(key)}\s*:", line):
            inside, where = True, len(kept)
            continue
        if inside and line.strip() and line.startswith((" ", "\t", "- ")):
            continue
        inside = False
        kept.append(line)
    return kept, where


def set_top_level(path: Path, key: str, value: Any) -> BenchProfile:
    """Rewrite one top-level key of the bench profile (JSON is valid YAML), check that
    the result still loads, then replace the file whole (a reader never sees half)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    lines, where = _without_key(lines, key)
    if where < 0:
        while lines and not lines[-1].strip():
            lines.pop()
        where = len(lines)
    if isinstance(value, dict):
        block = [f"{key}:"]
        block += [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(value.items())]
    else:
        block = [f"{key}: {json.dumps(value)}"]
    lines[where:where] = block
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
        temporary.chmod(path.stat().st_mode & 0o777)
        profile = load_model(temporary, BenchProfile)
        temporary.replace(path)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc
    finally:
        temporary.unlink(missing_ok=True)
    return profile


def set_supervisor_secret(path: Path, supervisor: str, stored: str) -> BenchProfile:
    """Add or replace one supervisor's secret hash (and list them as a supervisor)."""
    bench = load_model(path, BenchProfile)
    hashes = dict(bench.supervisor_secrets)
    hashes[supervisor] = stored
    if supervisor not in bench.supervisors:
        set_top_level(path, "supervisors", [*bench.supervisors, supervisor])
    return set_top_level(path, "supervisor_secrets", hashes)
