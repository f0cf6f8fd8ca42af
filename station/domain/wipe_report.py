"""What a wipe did, as evidence: the JSON `station wipe --json` writes and records carry."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from station.domain.profiles import Pattern
from station.domain.results import Result


class ByteRange(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    offset: int = Field(ge=0)
    length: int = Field(gt=0)


class TargetFacts(BaseModel):
    """The target as far as the kernel knows it (discovery adds the drive's own identity)."""

    model_config = ConfigDict(extra="forbid")

    path: str
    kind: Literal["block_device", "file"]
    size_bytes: int
    logical_block_size: int
    physical_block_size: int
    direct_io: bool
    model: str | None = None
    serial: str | None = None
    wwn: str | None = None
    vendor: str | None = None
    rotational: bool | None = None
    removable: bool | None = None


class PassReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=1)
    pattern: Pattern
    pattern_hex: str | None = Field(
        default=None, description="the repeated bytes for zeros/ones/fixed/complement passes"
    )
    random_key_hex: str | None = Field(
        default=None,
        description="AES-CTR key of a random pass (128-bit; 256-bit in older records): "
        "recorded so anyone can regenerate the expected bytes; it protects nothing once "
        "the pass is written",
    )
    started_at: datetime
    ended_at: datetime | None = None
    bytes_written: int = 0
    completed: bool = False
    resumed_from: int | None = Field(
        default=None, description="byte offset the pass restarted from after a crash"
    )
    bad_ranges: list[ByteRange] = Field(default_factory=list)
    rate_bps: float | None = None
    throughput_mbps: list[float] = Field(
        default_factory=list, description="average MB/s over each 1 % slice of the disk"
    )


class VerificationReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["full", "sampled"]
    reason: str | None = Field(default=None, description="e.g. why full replaced sampled")
    seed_hex: str | None = None
    subsections: int | None = None
    extent_percent: float | None = None
    expected: str = Field(description="what was expected: zeros, fixed:55, random:<key digest>")
    started_at: datetime
    ended_at: datetime | None = None
    bytes_read: int = 0
    coverage_percent: float = 0.0
    mismatches: list[ByteRange] = Field(default_factory=list)
    unreadable: list[ByteRange] = Field(default_factory=list)
    completed: bool = False


class WipeReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_id: Literal["station.wipe-report/1"] = "station.wipe-report/1"
    tool: str
    tool_version: str
    target: TargetFacts
    profile: str
    method: Literal["clear", "purge"]
    passes: list[PassReport] = Field(default_factory=list)
    verification: VerificationReport | None = None
    started_at: datetime
    ended_at: datetime | None = None
    duration_s: float | None = None
    resumed: bool = False
    stopped: Literal["cancelled", "target_gone", "media_errors"] | None = Field(
        default=None, description="why the job ended before its last step, if it did"
    )
    result: Result = Result.FAILED
    reasons: list[str] = Field(default_factory=list, description="why the result is what it is")
    operator: str | None = None
    record_ids: list[str] = Field(
        default_factory=list, description="the signed journal records of this wipe"
    )
