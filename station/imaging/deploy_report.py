"""What one image deploy did to one disk: the report behind the record and the CLI output."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class DeployReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str
    size_bytes: int = 0
    serial: str | None = None
    model: str | None = None
    wwn: str | None = None
    host: dict[str, Any] | None = Field(
        default=None, description="the machine the disk goes into, as the records name it"
    )
    host_note: str | None = Field(
        default=None, description="why SMBIOS does not name that machine (fallback used)"
    )
    image_name: str
    image_sha256: str
    image_format: str
    image_size: int
    mapped_bytes: int
    outcome: Literal["deployed", "failed", "cancelled"] = "failed"
    bytes_written: int = 0
    zero_bytes_skipped: int = 0
    zero_skip_basis: str | None = Field(
        default=None, description="why zeros could be skipped: the wipe that verified them"
    )
    unmapped_bytes_zeroed: int = 0
    verification: Literal["readback", "stream", "filesystem_check"] = "readback"
    verified: bool = False
    checks: list[str] = Field(
        default_factory=list, description="what the filesystem_check verification checked"
    )
    mismatched_ranges: list[tuple[int, int]] = Field(default_factory=list)
    marked_not_deployed: bool = Field(
        default=False, description="partition tables zeroed after a failure, so it cannot boot"
    )
    post_deploy: list[str] = Field(default_factory=list)
    licence: dict[str, Any] | None = None
    commands: list[dict[str, Any]] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    transport: dict[str, Any] | None = Field(
        default=None,
        description="network deploys: transport, frames verified, ranges fetched over HTTP",
    )
    started_at: datetime
    ended_at: datetime | None = None
    duration_s: float | None = None
    write_rate_bps: float | None = None

    def fail(self, reason: str) -> None:
        self.outcome = "failed"
        self.reasons.append(reason)

    def cancel(self, reason: str) -> None:
        """Stopped on request: not deployed (its tables get zeroed like a failure's),
        but nothing went wrong with the disk or the image."""
        self.outcome = "cancelled"
        self.reasons.append(reason)
