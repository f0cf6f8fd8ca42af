"""A bounded test of free memory with memtester (Debian package `memtester`).

memtester locks the amount asked, runs its patterns `loops` times and prints one line
per pattern ('  Bit Flip            : ok', or 'FAILURE: ... at offset ...'). Its exit
code carries bits (0x01 could not allocate/lock, 0x02 stuck address, 0x04 another
test); the text is kept as evidence and parsed here. The run is cut by the bench
profile's time limit: a cut run is not a pass (it is `not_tested`, with the reason).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from station.devices.runner import CommandEvidence, Runner

_PATTERN = re.compile(r"^\s*([A-Za-z0-9 -]+?)\s*:\s*(.*)$")
_LOOP = re.compile(r"^Loop (\d+)(?:/(\d+))?:")


@dataclass(frozen=True)
class MemtestOutcome:
    version: str | None
    megabytes_locked: int | None
    loops_started: int
    patterns_ok: int
    failures: int
    failed_patterns: list[str] = field(default_factory=list)
    done: bool = False

    @property
    def passed(self) -> bool:
        return self.done and self.failures == 0 and self.patterns_ok > 0


def parse_memtester(text: str) -> MemtestOutcome:
    version = re.search(r"^memtester version (\S+)", text, re.MULTILINE)
    locked = re.search(r"^got\s+(\d+)MB .*locked\.", text, re.MULTILINE)
    loops = ok = failures = 0
    failed: list[str] = []
    for line in text.splitlines():
        if _LOOP.match(line):
            loops += 1
            continue
        failures += line.count("FAILURE")
        match = _PATTERN.match(line)
        if match is None or line.startswith(("FAILURE", "pagesize", "want", "got")):
            continue
        name, rest = match.group(1), match.group(2)
        if "FAILURE" in rest and name not in failed:
            failed.append(name)
        elif rest.strip().endswith("ok"):
            ok += 1
    return MemtestOutcome(
        version=version.group(1) if version else None,
        megabytes_locked=int(locked.group(1)) if locked else None,
        loops_started=loops,
        patterns_ok=ok,
        failures=failures,
        failed_patterns=failed,
        done=bool(re.search(r"^Done\.\s*$", text, re.MULTILINE)),
    )


def run_memtester(
    runner: Runner, megabytes: int, loops: int, timeout_s: float
) -> tuple[MemtestOutcome, CommandEvidence]:
    """Run memtester on `megabytes` of free memory; the evidence says how it ended."""
    evidence = runner.run(["memtester", f"{megabytes}M", str(loops)], timeout=timeout_s)
    return parse_memtester(evidence.stdout), evidence
