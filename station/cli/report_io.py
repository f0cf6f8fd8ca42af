"""What the report commands share: opening the bench journal, writing a file whole."""

from __future__ import annotations

import argparse
from pathlib import Path

from station.errors import ConfigError
from station.journal.keys import load_or_create_bench_key
from station.journal.store import Journal, default_journal_path


def add_journal_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--journal", type=Path, default=None, help="journal file (default: in the data folder)"
    )
    parser.add_argument(
        "--key-dir", type=Path, default=None, help="bench key folder (default: data folder)"
    )


def open_journal(args: argparse.Namespace) -> Journal:
    path = args.journal or default_journal_path()
    if args.journal is not None and not path.is_file():
        raise ConfigError(f"no journal at {path}")
    return Journal(path, load_or_create_bench_key(args.key_dir))


def write_output(path: Path, data: bytes) -> None:
    """Written beside then renamed: a reader never sees half a PDF."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_bytes(data)
        temporary.replace(path)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc
