"""Turn a runner's command evidence (as stored in a report) into a record's CommandRecord."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from station.domain.record import CommandRecord, ToolRef, excerpt_of


def command_record(evidence: dict[str, Any]) -> CommandRecord:
    argv = [str(arg) for arg in evidence["argv"]]
    return CommandRecord(
        tool=ToolRef(name=Path(argv[0]).name, version=evidence.get("tool_version")),
        argv=argv,
        exit_code=evidence.get("returncode"),
        timed_out=bool(evidence.get("timed_out")),
        stdout_sha256=evidence["stdout_sha256"],
        stderr_sha256=evidence["stderr_sha256"],
        excerpt=excerpt_of(evidence.get("stdout"), evidence.get("stderr")),
        started_at=evidence["started_at"],
        ended_at=evidence["ended_at"],
    )
