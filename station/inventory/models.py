"""Shapes of the server's answers and request bodies, as published in its OpenAPI."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from station.inventory.benches import BENCH_ID_PATTERN

HEX64 = r"^[0-9a-f]{64}$"

ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A DSSE envelope signed by an approved bench key (docs/records.md).",
    "required": ["payloadType", "payload", "signatures"],
    "additionalProperties": False,
    "properties": {
        "payloadType": {"type": "string", "example": "application/vnd.station.step+json"},
        "payload": {"type": "string", "description": "standard base64 of the canonical body"},
        "signatures": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["keyid", "sig"],
                "additionalProperties": False,
                "properties": {"keyid": {"type": "string"}, "sig": {"type": "string"}},
            },
        },
    },
}
BATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["envelopes"],
    "additionalProperties": False,
    "properties": {"envelopes": {"type": "array", "minItems": 1, "items": ENVELOPE_SCHEMA}},
}


class ProblemOut(BaseModel):
    """Every refusal: a stable code, a reason for people, and fields that help fix it."""

    model_config = ConfigDict(extra="allow")
    error: str
    detail: str


class SelfSignedIn(BaseModel):
    """A body signed by the key it presents, made within the last 15 minutes."""

    model_config = ConfigDict(extra="forbid")
    public_key: str = Field(description="standard base64 of the raw 32-byte Ed25519 key")
    created_at: datetime
    record_id: str


class EnrolmentIn(SelfSignedIn):
    """The signed body of an enrolment (station.journal.signed_requests)."""

    kind: Literal["bench_enrolment"]
    bench_id: str = Field(pattern=BENCH_ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)


class BenchOut(BaseModel):
    bench_id: str
    name: str
    key_id: str
    public_key: str
    status: Literal["pending", "approved", "revoked"]
    enrolled_at: str
    decided_at: str | None
    last_seq: int = Field(description="the highest seq stored for this bench (0: none yet)")


class IngestResult(BaseModel):
    status: Literal["stored", "duplicate"]
    record_id: str
    bench_id: str
    seq: int
    envelope_digest: str


class BatchResult(BaseModel):
    stored: int
    duplicates: int
    results: list[IngestResult]


class RecordOut(BaseModel):
    record_id: str
    bench_id: str
    seq: int
    envelope_digest: str
    kind: str
    created_at: str
    disk_serial: str | None
    host_id: str | None
    received_at: str
    body: dict[str, Any]
    envelope: dict[str, Any] | None = None


class DailyLog(BaseModel):
    bench_id: str
    date: str
    timezone: str
    records: list[RecordOut]


class ChainExport(BaseModel):
    """A bench's chain, enough for `station verify` offline: the key and the envelopes."""

    bench_id: str
    key_id: str
    public_key: str
    public_key_pem: str = Field(description="the same key as PEM, for `station verify --key`")
    after_seq: int
    envelopes: list[dict[str, Any]]


class Subject(BaseModel):
    id: str = Field(description="the disk serial or the device's serial / SMBIOS uuid")
    records: int
    first_seen: str
    last_seen: str


class SubjectHistory(BaseModel):
    id: str
    records: list[RecordOut]


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    records: int
