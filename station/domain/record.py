"""Step records: what each signed record body says (records.md, "What a record is").

One model per step kind, all sharing a header (who, when, which bench, where in the
chain) and, where a tool ran, the `CommandRecord` of each command. `StepBody` is the
union discriminated by `kind`; `parse_body` turns a JSON object into one or raises a
RecordError naming the field. The bench journal assigns `bench_id`, `seq`, `prev` and
`record_id` when it signs, so callers leave them out; a *sealed* body (one read back from
an envelope) must carry them.

Personal data never goes in here: `operator` is a pseudonymous id (pattern enforced, no
spaces or '@'), hosts are identified by hardware serials, licences by a digest.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, Protocol, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from station.domain.function_tests import Judge, TestName, TestStatus
from station.domain.profiles import Pattern
from station.domain.results import Result
from station.domain.text import LocalizedText
from station.errors import RecordError

SCHEMA_VERSION: Literal[1] = 1
# Canonical JSON (RFC 8785) carries integers only up to 2**53 - 1: a larger seed could not
# be signed, so it is refused here with a clear message.
JSON_SAFE_INT = 2**53 - 1


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() != UTC.utcoffset(None):
        raise ValueError("expected a UTC time, e.g. 2026-11-22T09:30:00Z")
    return value.astimezone(UTC)


UtcTime = Annotated[datetime, AfterValidator(_utc)]
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
PseudonymousId = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$",
        description="a pseudonymous id (badge number, 'op-17'), never a name or an e-mail",
    ),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ToolRef(_Strict):
    name: str = Field(min_length=1)
    version: str | None = None


class CommandRecord(_Strict):
    """One external command as it really ran: a failure or a timeout is kept as such."""

    tool: ToolRef
    argv: list[str] = Field(min_length=1)
    exit_code: int | None = Field(description="None when the command never finished")
    timed_out: bool = False
    stdout_sha256: Sha256Hex
    stderr_sha256: Sha256Hex
    excerpt: str | None = Field(
        default=None, max_length=4000, description="the output itself when it is small"
    )
    started_at: UtcTime
    ended_at: UtcTime

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")
        return self


EXCERPT_MAX = 4000


def excerpt_of(stdout: str | None, stderr: str | None) -> str | None:
    """What a record keeps of a command's output: stdout (stderr when stdout is empty),
    cut at EXCERPT_MAX characters; the digests cover the whole of both."""
    text = stdout or stderr
    return text[:EXCERPT_MAX] if text else None


class ByteRange(_Strict):
    offset: int = Field(ge=0)
    length: int = Field(ge=1)


class DiskRef(_Strict):
    """Which physical disk: what survives moving it to another bench or slot."""

    serial: str | None = None
    wwn: str | None = None
    model: str | None = None
    size_bytes: int = Field(ge=0)
    path: str | None = Field(default=None, description="where it was seen, e.g. /dev/sdb")


class DiskLike(Protocol):
    """Anything that knows a disk's own identity: discovery's DiskIdentity, a wipe
    report's TargetFacts, a deploy report."""

    @property
    def serial(self) -> str | None: ...
    @property
    def wwn(self) -> str | None: ...
    @property
    def model(self) -> str | None: ...
    @property
    def size_bytes(self) -> int: ...


def disk_ref_of(disk: DiskLike, path: str | None = None) -> DiskRef:
    """The record's view of a disk (its own serial and WWN), the one place a DiskRef is
    built from what discovery, a wipe or a deploy knew; `path` defaults to the disk's."""
    return DiskRef(
        serial=disk.serial,
        wwn=disk.wwn,
        model=disk.model,
        size_bytes=disk.size_bytes,
        path=path or getattr(disk, "path", None),
    )


class HostRef(_Strict):
    """Which computer: SMBIOS identity, never its owner."""

    manufacturer: str | None = None
    product: str | None = None
    serial: str | None = None
    uuid: str | None = None
    asset_tag: str | None = None
    identified_by: Literal["smbios", "asset_tag", "none"] | None = Field(
        default=None,
        description="what names the host: its firmware's serial/UUID (smbios), only the "
        "operator's asset tag (no usable SMBIOS identity: VMs, placeholders), or nothing",
    )


class RecordHeader(_Strict):
    schema_version: Literal[1] = SCHEMA_VERSION
    bench_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    seq: int | None = Field(default=None, ge=1)
    prev: Sha256Hex | None = None
    record_id: Sha256Hex | None = None
    created_at: UtcTime
    operator: PseudonymousId
    profile: str | None = None


class _DiskStep(RecordHeader):
    disk: DiskRef


AssetTag = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")]


class DiskSeen(_DiskStep):
    kind: Literal["disk_seen"] = "disk_seen"
    slot: str | None = None
    bus: str | None = None
    media_kind: str | None = None
    eligible: bool
    refusals: list[str] = Field(default_factory=list, description="refusal codes")
    # The drive's identity beyond DiskRef, for the certificate's manufacturer line.
    vendor: str | None = Field(default=None, max_length=64)
    firmware: str | None = Field(default=None, max_length=64)
    # What the operator said about the machine the disk came from (the certificate's
    # asset tag and lot; a donor is an organisation, never a person's name).
    asset_tag: AssetTag | None = None
    lot: AssetTag | None = None
    donor: str | None = Field(default=None, max_length=200)


class SmartAssessment(_DiskStep):
    kind: Literal["smart_assessment"] = "smart_assessment"
    verdict: Literal["healthy", "worn", "worn_out", "needs_review", "failing", "unknown"]
    # What was seen (smart_verdict.SEEN_WORDS): worn, media_errors, spare_low, read_only...
    seen: list[str] = Field(default_factory=list)
    overall_health: Literal["passed", "failed", "unknown"]
    power_on_hours: int | None = Field(default=None, ge=0)
    reallocated_sectors: int | None = Field(default=None, ge=0)
    pending_sectors: int | None = Field(default=None, ge=0)
    media_errors: int | None = Field(default=None, ge=0)
    percentage_used: int | None = Field(default=None, ge=0)
    temperature_c: int | None = None
    model_family: str | None = Field(
        default=None, max_length=128, description="smartctl's drive database family"
    )
    findings: list[str] = Field(default_factory=list)
    commands: list[CommandRecord] = Field(default_factory=list)


class SelfTest(_DiskStep):
    kind: Literal["self_test"] = "self_test"
    test: Literal["short", "extended", "conveyance"]
    status: Literal[
        "passed",
        "failed",
        "aborted",
        "interrupted",
        "not_supported",
        "not_started",
        "timed_out",
        "unknown",
    ]
    first_error_lba: int | None = Field(default=None, ge=0)
    commands: list[CommandRecord] = Field(default_factory=list)


HpaDcoAction = Literal[
    "detected", "removed", "left_in_place", "not_supported", "failed", "none_found"
]


class HpaDcoChange(_DiskStep):
    kind: Literal["hpa_dco_change"] = "hpa_dco_change"
    feature: Literal["hpa", "dco"]
    action: HpaDcoAction
    native_max_sectors: int | None = Field(default=None, ge=0)
    max_sectors_before: int | None = Field(default=None, ge=0)
    max_sectors_after: int | None = Field(default=None, ge=0)
    commands: list[CommandRecord] = Field(default_factory=list)


class PurgeCommand(_DiskStep):
    kind: Literal["purge_command"] = "purge_command"
    technique: str = Field(min_length=1, description="e.g. nvme_sanitize_crypto, ata_secure_erase")
    method: Literal["clear", "purge"]
    supported: bool
    accepted: bool
    completed: bool
    result: Result
    commands: list[CommandRecord] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _nothing_claimed_that_did_not_happen(self) -> Self:
        if self.result is not Result.FAILED and not (self.supported and self.completed):
            raise ValueError("a purge that was not supported or not completed has result 'failed'")
        return self


class OverwritePass(_DiskStep):
    kind: Literal["overwrite_pass"] = "overwrite_pass"
    pass_index: int = Field(ge=1)
    pass_count: int = Field(ge=1)
    pattern: Pattern
    pattern_hex: str | None = Field(default=None, pattern=r"^(?:[0-9a-f]{2})+$")
    key_hex: str | None = Field(
        default=None,
        pattern=r"^(?:[0-9a-f]{2})+$",
        description="for 'random': the stream key, so verification can regenerate it",
    )
    bytes_total: int = Field(ge=0)
    bytes_written: int = Field(ge=0)
    bad_ranges: list[ByteRange] = Field(default_factory=list)
    resumed: bool = False
    resumed_from: int | None = Field(default=None, ge=0)
    completed: bool
    stopped: Literal["cancelled", "target_gone", "media_errors"] | None = Field(
        default=None,
        description="why an incomplete pass ended: 'cancelled' on request (the disk is "
        "not erased, it can be started again), the disk gone, or too many media errors",
    )
    started_at: UtcTime
    ended_at: UtcTime
    tool: ToolRef | None = Field(
        default=None, description="what wrote the pass (Station and its version)"
    )
    rate_bps: float | None = Field(default=None, ge=0)
    throughput_mbps: list[float] = Field(
        default_factory=list,
        max_length=200,
        description="average MB/s over each successive slice of the disk, for the curve",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.pass_index > self.pass_count:
            raise ValueError("pass_index is greater than pass_count")
        if self.pattern is Pattern.RANDOM and self.key_hex is None:
            raise ValueError("a 'random' pass records its key_hex")
        if self.pattern is Pattern.FIXED and self.pattern_hex is None:
            raise ValueError("a 'fixed' pass records its pattern_hex")
        if self.completed and self.bytes_written < self.bytes_total:
            raise ValueError("a completed pass wrote bytes_total bytes")
        return self


class Verification(_DiskStep):
    kind: Literal["verification"] = "verification"
    mode: Literal["full", "sampled"]
    seed_hex: str | None = Field(
        default=None,
        pattern=r"^(?:[0-9a-f]{2})+$",
        description="seed of the sampled extents (station.domain.sampling), to repeat the check",
    )
    subsections: int | None = Field(default=None, ge=1)
    extent_percent: float | None = Field(default=None, gt=0, le=50)
    expected: str = Field(min_length=1, description="what was expected: zeros, pattern, ...")
    coverage_percent: float = Field(ge=0, le=100)
    bytes_checked: int = Field(ge=0)
    mismatched_ranges: list[ByteRange] = Field(default_factory=list)
    unreadable_ranges: list[ByteRange] = Field(default_factory=list)
    result: Result

    @model_validator(mode="after")
    def _sampled_has_seed(self) -> Self:
        if self.mode == "sampled" and self.seed_hex is None:
            raise ValueError("a sampled verification records its seed")
        if self.mismatched_ranges and self.result is not Result.FAILED:
            raise ValueError("a verification with mismatches has result 'failed'")
        return self


class DeployTransport(BaseModel):
    """How the image reached the disk: the stick or a folder (`local`), one HTTP stream
    (`http_stream`), or the classroom's multicast stream (`multicast`), and what was
    checked and fetched again on the way."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["local", "http_stream", "multicast"]
    source: str = Field(description="the server, folder or multicast group it came from")
    frames_total: int = Field(ge=0, description="frames holding mapped bytes")
    frames_verified: int = Field(ge=0, description="frames checked against the frame list")
    fallback_ranges: list[tuple[int, int]] = Field(
        default_factory=list,
        description="byte ranges of disk.img.zst fetched over HTTP after multicast missed them",
    )
    http_requests: int = Field(default=0, ge=0)
    http_resumed: int = Field(default=0, ge=0, description="ranges resumed after a drop")
    note: str | None = None


class ImageDeploy(_DiskStep):
    kind: Literal["image_deploy"] = "image_deploy"
    host: HostRef | None = None
    image_name: str = Field(min_length=1)
    image_sha256: Sha256Hex
    bytes_written: int = Field(ge=0)
    zero_bytes_skipped: int = Field(default=0, ge=0, description="zeros left as the wipe left them")
    zero_skip_basis: str | None = Field(default=None, description="the wipe that verified zeros")
    verified: bool
    post_deploy: list[str] = Field(default_factory=list)
    outcome: Literal["deployed", "failed", "cancelled"] = Field(
        description="'cancelled': stopped on request before the end (the disk's partition "
        "tables are zeroed, as after a failure, but nothing went wrong with it)"
    )
    commands: list[CommandRecord] = Field(default_factory=list)
    transport: DeployTransport | None = None


CancelledStage = Literal["smart", "self_test", "erase", "verification", "image_deploy"]


class WorkCancelled(_DiskStep):
    """The bench's work on a disk was stopped on request: the stage it was at says what
    the disk is left with (before the erase: nothing written; during the erase or its
    verification: not erased, start it again; during the image: erased, no image).
    A stopped disk is neither done nor failed."""

    kind: Literal["work_cancelled"] = "work_cancelled"
    stage: CancelledStage
    requested_by: Literal["stop_key", "quit"] | None = Field(
        default=None,
        description="the operator's stop key on that disk, or quitting the bench while it "
        "worked; None when the front end did not say",
    )


class _HostStep(RecordHeader):
    host: HostRef


class LicenceAssignment(_HostStep):
    kind: Literal["licence_assignment"] = "licence_assignment"
    product: str = Field(min_length=1)
    pool: str = Field(min_length=1)
    licence_sha256: Sha256Hex = Field(description="digest of the key, never the key itself")
    source: Literal["key_pool", "firmware_oem"] = "key_pool"
    activated: bool | None = None
    applied_by: list[str] = Field(
        default_factory=list,
        description="what will make Windows use the key: the answer file's specialize pass, "
        "SetupComplete.cmd (slmgr /ipk), or the firmware's MSDM table",
    )


class HostInventory(_HostStep):
    kind: Literal["host_inventory"] = "host_inventory"
    cpu: str | None = None
    ram_bytes: int | None = Field(default=None, ge=0)
    disks: list[DiskRef] = Field(default_factory=list)
    battery_health_percent: float | None = Field(default=None, ge=0, le=200)
    battery_cycle_count: int | None = Field(default=None, ge=0)
    chassis: str | None = Field(default=None, description="SMBIOS chassis type: Notebook...")
    msdm_sha256: Sha256Hex | None = Field(
        default=None, description="digest of the OEM licence key in ACPI MSDM, never the key"
    )
    notes: list[str] = Field(default_factory=list)


Measure = str | int | float | bool | None


class FunctionTest(_HostStep):
    """One functional test of the machine (docs/functional-tests.md): what ran, with
    which tool, what was measured, what the operator answered; never a guess."""

    kind: Literal["function_test"] = "function_test"
    test: TestName
    status: TestStatus
    judged_by: Judge = Field(description="automatic (the tool decided) or operator (a person)")
    answer: str | None = Field(
        default=None, max_length=500, description="the question asked and the operator's answer"
    )
    observed: str | None = Field(
        default=None, max_length=2000, description="what was seen; required when failed"
    )
    reason: str | None = Field(
        default=None, max_length=500, description="why it was not tested; required then"
    )
    measured: dict[str, Measure] = Field(default_factory=dict)
    defects: list[str] = Field(default_factory=list)
    tool: ToolRef | None = None
    commands: list[CommandRecord] = Field(default_factory=list)

    @model_validator(mode="after")
    def _honest(self) -> Self:
        if self.status == "not_tested" and not (self.reason or "").strip():
            raise ValueError("a test not done says why (reason)")
        if self.status == "failed" and not ((self.observed or "").strip() or self.defects):
            raise ValueError("a failed test says what was seen (observed)")
        if self.status != "failed" and self.defects:
            raise ValueError("only a failed test lists defects")
        return self


class Grade(_HostStep):
    """The machine's grade from the bench profile's rules, with the rules that set it;
    a supervisor may give another grade, with the reason, in a record of its own."""

    kind: Literal["grade"] = "grade"
    grade: str = Field(min_length=1, max_length=32, description="the level's code, e.g. B")
    label: LocalizedText
    computed: str = Field(min_length=1, max_length=32, description="what the rules gave")
    reasons: list[LocalizedText] = Field(default_factory=list, description="why, rule by rule")
    defects: list[str] = Field(default_factory=list)
    based_on: list[Sha256Hex] = Field(
        default_factory=list, description="record ids of the function_test records used"
    )
    rules: str = Field(min_length=1, description="the bench profile whose rules were applied")
    overridden_by: PseudonymousId | None = None
    override_reason: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _override_said(self) -> Self:
        overridden = self.overridden_by is not None or self.override_reason is not None
        if self.grade != self.computed and not overridden:
            raise ValueError("a grade other than the computed one names who gave it and why")
        if overridden and not (self.overridden_by and (self.override_reason or "").strip()):
            raise ValueError("an override names the supervisor (overridden_by) and the reason")
        return self


class SupervisorSignoff(RecordHeader):
    kind: Literal["supervisor_signoff"] = "supervisor_signoff"
    supervisor: PseudonymousId
    day: date
    first_seq: int = Field(ge=1)
    last_seq: int = Field(ge=1)
    last_record_id: Sha256Hex
    decision: Literal["approved", "rejected"]
    comment: str | None = Field(default=None, max_length=2000)


class DailyCheckpoint(RecordHeader):
    kind: Literal["daily_checkpoint"] = "daily_checkpoint"
    day: date
    first_seq: int | None = Field(default=None, ge=1)
    last_seq: int | None = Field(default=None, ge=1)
    record_count: int = Field(ge=0)
    last_record_id: Sha256Hex | None = None
    results: dict[Result, int] = Field(default_factory=dict)


StepBody = Annotated[
    DiskSeen
    | SmartAssessment
    | SelfTest
    | HpaDcoChange
    | PurgeCommand
    | OverwritePass
    | Verification
    | ImageDeploy
    | WorkCancelled
    | LicenceAssignment
    | HostInventory
    | FunctionTest
    | Grade
    | SupervisorSignoff
    | DailyCheckpoint,
    Field(discriminator="kind"),
]
STEP_KINDS = (
    "disk_seen", "smart_assessment", "self_test", "hpa_dco_change", "purge_command",
    "overwrite_pass", "verification", "image_deploy", "work_cancelled", "licence_assignment",
    "host_inventory", "function_test", "grade", "supervisor_signoff", "daily_checkpoint",
)  # fmt: skip
SEALED_FIELDS = ("bench_id", "seq", "record_id")

_ADAPTER: TypeAdapter[StepBody] = TypeAdapter(StepBody)


def parse_body(data: Any, *, sealed: bool = False) -> StepBody:
    """A validated step body, or RecordError naming every field that is wrong.

    `sealed=True` also requires what signing adds (bench_id, seq, record_id, and prev
    after seq 1): use it on bodies read back from envelopes.
    """
    if not isinstance(data, dict):
        raise RecordError(f"a record body is a JSON object, not {type(data).__name__}")
    kind = data.get("kind")
    if kind not in STEP_KINDS:
        raise RecordError(
            f"kind: {kind!r} is not a step kind (expected one of {', '.join(STEP_KINDS)})"
        )
    try:
        body = _ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise RecordError(f"invalid {kind} record: {_describe(exc)}") from exc
    if sealed:
        missing = [name for name in SEALED_FIELDS if getattr(body, name) is None]
        if body.seq is not None and body.seq > 1 and body.prev is None:
            missing.append("prev")
        if missing:
            names = ", ".join(missing)
            raise RecordError(f"invalid {kind} record: a signed record needs {names}")
    return body


def body_to_json(body: StepBody) -> dict[str, Any]:
    """The JSON object that gets signed (record_id is left to the signer)."""
    return body.model_dump(mode="json", exclude={"record_id"})


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        # The first location element is the discriminator tag; the kind is already named.
        location = ".".join(str(part) for part in error["loc"][1:]) or "body"
        problems.append(f"{location}: {error['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)
