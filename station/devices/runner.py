"""Run external tools and keep evidence of every run.

Every command Station sends to a drive (smartctl, hdparm, nvme, rtcwake) goes through a
`Runner`, which returns a `CommandEvidence`: argv, exit code, output (text and sha256),
UTC start/end, duration, whether it timed out, and the tool's version where known. A
record can then say exactly what was run and what came back (docs/sanitization.md, "Results").

Two runners share the protocol: `SubprocessRunner` runs the real tool; `ReplayRunner`
answers by argv from recorded outputs of real drives (tests/fixtures/devices/<case>/),
in the spirit of py-SMART's test dataset.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from station.domain.clock import utc_now
from station.domain.record import CommandRecord, ToolRef, excerpt_of
from station.errors import CommandError

log = logging.getLogger(__name__)

# Output longer than this is kept only as a digest in records; the text stays in memory.
SHORT_OUTPUT = 4096

# How to ask each tool for its version; the first line of stdout is recorded.
VERSION_ARGS: dict[str, tuple[str, ...]] = {
    "smartctl": ("--version",),
    "hdparm": ("-V",),
    "nvme": ("version",),
}


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class CommandEvidence:
    """What one external command was asked and what it answered."""

    argv: tuple[str, ...]
    returncode: int | None  # None when the command timed out and was killed
    stdout: str
    stderr: str
    started_at: datetime
    ended_at: datetime
    timed_out: bool = False
    tool_version: str | None = None

    @property
    def duration_s(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()

    @property
    def stdout_sha256(self) -> str:
        return sha256_text(self.stdout)

    @property
    def stderr_sha256(self) -> str:
        return sha256_text(self.stderr)

    def to_command_record(self) -> CommandRecord:
        """The signed record's view of this run: digests of both outputs, an excerpt."""
        return CommandRecord(
            tool=ToolRef(name=Path(self.argv[0]).name, version=self.tool_version),
            argv=list(self.argv),
            exit_code=self.returncode,
            timed_out=self.timed_out,
            stdout_sha256=self.stdout_sha256,
            stderr_sha256=self.stderr_sha256,
            excerpt=excerpt_of(self.stdout, self.stderr),
            started_at=self.started_at,
            ended_at=self.ended_at,
        )

    @property
    def ok(self) -> bool:
        """Exit code 0 and no timeout. Not proof the drive did anything (see ata.py)."""
        return self.returncode == 0 and not self.timed_out

    def describe(self) -> str:
        """One line for error messages: the command and how it ended."""
        how = "timed out" if self.timed_out else f"exit {self.returncode}"
        detail = (self.stderr.strip() or self.stdout.strip()).splitlines()
        tail = f": {detail[-1]}" if detail else ""
        return f"`{' '.join(self.argv)}` {how}{tail}"

    def to_record(self) -> dict[str, object]:
        """The evidence as it goes into a step record (text only when short)."""
        record: dict[str, object] = {
            "argv": list(self.argv),
            "returncode": self.returncode,
            "timed_out": self.timed_out,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat(),
            "duration_s": round(self.duration_s, 3),
            "tool_version": self.tool_version,
            "stdout_sha256": self.stdout_sha256,
            "stderr_sha256": self.stderr_sha256,
        }
        if len(self.stdout) <= SHORT_OUTPUT:
            record["stdout"] = self.stdout
        if len(self.stderr) <= SHORT_OUTPUT:
            record["stderr"] = self.stderr
        return record


class Runner(Protocol):
    """Runs one command with an explicit timeout and returns its evidence.

    A missing binary raises CommandError; a non-zero exit or a timeout does not (the
    caller decides what it means, e.g. smartctl's exit status is a bit mask).
    """

    def run(self, argv: Sequence[str], *, timeout: float) -> CommandEvidence: ...


@dataclass
class SubprocessRunner:
    """The real runner: subprocess with a timeout, C locale so outputs parse the same."""

    env_overrides: dict[str, str] = field(default_factory=lambda: {"LC_ALL": "C"})
    _versions: dict[str, str | None] = field(default_factory=dict)

    def run(self, argv: Sequence[str], *, timeout: float) -> CommandEvidence:
        if not argv:
            raise CommandError("empty command")
        binary = shutil.which(argv[0])
        if binary is None:
            log.warning("command not installed: %s", argv[0])
            raise CommandError(
                f"{argv[0]} is not installed (not found on PATH); "
                "install it with scripts/install-system-deps.sh",
                french=f"{argv[0]} n'est pas installé : installez-le avec "
                "scripts/install-system-deps.sh",
            )
        env = {**os.environ, **self.env_overrides}
        started, clock = utc_now(), time.monotonic()
        try:
            done = subprocess.run(
                list(argv), capture_output=True, timeout=timeout, env=env, check=False
            )
        except subprocess.TimeoutExpired as exc:
            ended = started + _elapsed(clock)
            log.warning("timed out after %ss: %s", timeout, shlex.join(argv))
            return CommandEvidence(
                argv=tuple(argv),
                returncode=None,
                stdout=_decode(exc.stdout),
                stderr=_decode(exc.stderr),
                started_at=started,
                ended_at=ended,
                timed_out=True,
                tool_version=self.version_of(argv[0]),
            )
        ended = started + _elapsed(clock)
        log.info(
            "ran %s: rc=%s in %.2fs%s",
            shlex.join(argv),
            done.returncode,
            (ended - started).total_seconds(),
            f" stderr={_decode(done.stderr).strip()[:200]!r}" if done.returncode else "",
        )
        return CommandEvidence(
            argv=tuple(argv),
            returncode=done.returncode,
            stdout=_decode(done.stdout),
            stderr=_decode(done.stderr),
            started_at=started,
            ended_at=ended,
            tool_version=self.version_of(argv[0]),
        )

    def version_of(self, tool: str) -> str | None:
        """The tool's version line, asked once per tool; None when it cannot say."""
        name = Path(tool).name
        if name not in VERSION_ARGS:
            return None
        if name not in self._versions:
            try:
                done = subprocess.run(
                    [tool, *VERSION_ARGS[name]], capture_output=True, timeout=10, check=False
                )
                lines = _decode(done.stdout).strip().splitlines()
                self._versions[name] = lines[0] if lines else None
            except (OSError, subprocess.TimeoutExpired):
                self._versions[name] = None
        return self._versions[name]


def end_process(process: subprocess.Popen[bytes], grace_s: float = 5.0) -> int | None:
    """Stop a long-running child (a server, a stream) if it still runs: SIGTERM, then
    SIGKILL after `grace_s`. Its exit code (negative when ended by a signal)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def _elapsed(clock: float) -> timedelta:
    # Durations come from the monotonic clock so a wall-clock jump cannot make them negative.
    return timedelta(seconds=time.monotonic() - clock)


def _recorded_returncode(value: object) -> int | None:
    # null in an index: the public source did not show the exit code.
    return None if value is None else int(str(value))


def _decode(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    return data.decode("utf-8", "replace")


# A hook lets a replay imitate what the drive does to its data (e.g. zero a file on
# `nvme format`), so the purge job's watermark and read-back checks see a real effect.
SideEffect = Callable[[tuple[str, ...]], None]


@dataclass
class ReplayRunner:
    """Answers commands from a recorded case folder, by exact argv.

    The folder holds `index.json`::

        {"tool_versions": {"hdparm": "hdparm v9.65"},
         "calls": [{"argv": ["hdparm", "-I", "/dev/sda"], "stdout": "hdparm-I.txt",
                    "returncode": 0},
                   {"argv": ["nvme", "sanitize-log", "/dev/nvme0"],
                    "stdout": ["log-1.txt", "log-2.txt"], "returncode": 0}]}

    `{device}` in a recorded argv stands for the device path given to the runner.
    A list of stdout files answers successive calls with the same argv in order (the last
    one repeats), which replays polling. An argv with no recorded answer raises
    CommandError, so a test fails loudly instead of replaying something else.
    """

    case_dir: Path
    # Recorded argv name the device "{device}"; a test substitutes its own target path.
    device: str = "/dev/sda"
    side_effects: dict[tuple[str, ...], SideEffect] = field(default_factory=dict)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    _answers: dict[tuple[str, ...], list[dict[str, object]]] = field(default_factory=dict)
    _served: dict[tuple[str, ...], int] = field(default_factory=dict)
    _versions: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        index = json.loads((self.case_dir / "index.json").read_text(encoding="utf-8"))
        self._versions = dict(index.get("tool_versions", {}))
        for call in index["calls"]:
            key = tuple(arg.replace("{device}", self.device) for arg in call["argv"])
            outputs = call.get("stdout", [])
            outputs = [outputs] if isinstance(outputs, str) else outputs
            steps = [{**call, "stdout": name} for name in outputs] or [{**call, "stdout": None}]
            self._answers.setdefault(key, []).extend(steps)

    def run(self, argv: Sequence[str], *, timeout: float) -> CommandEvidence:
        key = tuple(argv)
        self.calls.append(key)
        steps = self._answers.get(key)
        if steps is None:
            raise CommandError(f"replay {self.case_dir.name}: no recorded answer for {key!r}")
        served = self._served.get(key, 0)
        step = steps[min(served, len(steps) - 1)]
        self._served[key] = served + 1
        if key in self.side_effects:
            self.side_effects[key](key)
        now = utc_now()
        return CommandEvidence(
            argv=key,
            returncode=_recorded_returncode(step.get("returncode")),
            stdout=self._read(step.get("stdout")),
            stderr=self._read(step.get("stderr")),
            started_at=now,
            ended_at=now,
            tool_version=self._versions.get(Path(key[0]).name),
        )

    def _read(self, name: object) -> str:
        if not isinstance(name, str):
            return ""
        return (self.case_dir / name).read_text(encoding="utf-8")

    def count(self, argv: Sequence[str]) -> int:
        """How many times this exact argv was run (tests check e.g. security-disable)."""
        return self.calls.count(tuple(argv))
