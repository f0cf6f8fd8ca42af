"""Disks and devices (computers) with their history across benches."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from station.inventory import queries
from station.inventory.context import READ_PROBLEMS, Ctx, Reader
from station.inventory.models import RecordOut, Subject, SubjectHistory
from station.inventory.problems import Problem

router = APIRouter(prefix="/v1", tags=["disks and devices"])
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=2**53)]
SubjectId = Annotated[str, Path(min_length=1, max_length=200)]


def _history(ctx: Ctx, column: str, value: str, what: str) -> SubjectHistory:
    records = queries.history(ctx.db, column, value, 10_000)
    if not records:
        raise Problem(404, f"unknown_{what}", f"no record mentions {what} {value!r}")
    return SubjectHistory(id=value, records=[RecordOut(**r) for r in records])


@router.get(
    "/disks",
    response_model=list[Subject],
    responses=READ_PROBLEMS,
    summary="Disks seen (by serial), with counts and first/last time seen",
)
def list_disks(ctx: Ctx, who: Reader, limit: Limit = 100, offset: Offset = 0) -> list[Subject]:
    who.require_person()
    return [Subject(**s) for s in queries.subjects(ctx.db, "disk_serial", limit, offset)]


@router.get(
    "/disks/{serial}",
    response_model=SubjectHistory,
    responses=READ_PROBLEMS,
    summary="A disk's history: every record about it, oldest first",
)
def disk_history(ctx: Ctx, who: Reader, serial: SubjectId) -> SubjectHistory:
    who.require_person()
    return _history(ctx, "disk_serial", serial, "disk")


@router.get(
    "/devices",
    response_model=list[Subject],
    responses=READ_PROBLEMS,
    summary="Computers seen (by SMBIOS serial or uuid)",
)
def list_devices(ctx: Ctx, who: Reader, limit: Limit = 100, offset: Offset = 0) -> list[Subject]:
    who.require_person()
    return [Subject(**s) for s in queries.subjects(ctx.db, "host_id", limit, offset)]


@router.get(
    "/devices/{host_id}",
    response_model=SubjectHistory,
    responses=READ_PROBLEMS,
    summary="A computer's history: every record about it, oldest first",
)
def device_history(ctx: Ctx, who: Reader, host_id: SubjectId) -> SubjectHistory:
    who.require_person()
    return _history(ctx, "host_id", host_id, "device")
