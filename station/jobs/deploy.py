"""The deploy job: safety -> checks -> write -> verify -> post-deploy -> licence -> records.

One image goes to one or several disks (a batch: the image is read and decompressed once).
Everything that can refuse (a disk not eligible, a checksum mismatch, an unknown format,
an image larger than a disk) runs before the first write and raises. Once writing has
begun, each disk gets its own DeployReport whose `outcome` says what really happened; a
disk whose deploy failed has its partition tables zeroed so it is never taken for deployed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from station.devices.blockio import BlockTarget
from station.devices.runner import Runner, SubprocessRunner
from station.devices.safety import TargetInspection, inspect_target
from station.domain.clock import utc_now
from station.domain.image_profile import ImageFormat, ImageProfile, LicencePolicy
from station.domain.progress import ProgressSink
from station.domain.record import DeployTransport, HostRef, ImageDeploy, disk_ref_of
from station.errors import ImageError, JobCancelled
from station.imaging import frame_list, source
from station.imaging.bmap import BlockMap
from station.imaging.clonezilla import ClonezillaImage, read_clonezilla, used_files
from station.imaging.clonezilla_deploy import compressed_size, deploy_clonezilla
from station.imaging.clonezilla_fit import FitPlan, plan_fit
from station.imaging.deploy_report import DeployReport
from station.imaging.frame_list import FRAMES_FILE, CheckedFrame
from station.imaging.http_range import answers_ranges
from station.imaging.keystore import KeyStore
from station.imaging.licence import ACPI_TABLES
from station.imaging.licence_step import LicenceContext, run_licence
from station.imaging.net_source import HttpFrames, Transport
from station.imaging.post_deploy import PostDeployContext, run_post_deploy
from station.imaging.raw_deploy import (
    READBACK_CANCELLED,
    PackedReader,
    check_structure,
    frames_with_data,
    load_block_map,
    stream_raw_image,
    verify_runs,
    write_frames,
)
from station.imaging.records import command_record
from station.imaging.seek_table import Frame
from station.imaging.stick_source import StickDeploy, StickWait
from station.imaging.stream_writer import CHUNK, TargetRun
from station.imaging.windows_master import key_refusal
from station.imaging.zeroing import zero_range
from station.jobs.wipe import _Progress, ensure_eligible
from station.journal.store import Journal

log = logging.getLogger(__name__)

MIB = 1024 * 1024


@dataclass
class DeployRequest:
    targets: list[str]
    profile: ImageProfile
    profile_dir: Path | None = None
    asset_tag: str | None = None
    # target path -> why its zeros can be trusted (a wipe that verified zeros on it)
    zero_verified: dict[str, str] = field(default_factory=dict)
    operator: str = "station"
    journal: Journal | None = None
    runner: Runner = field(default_factory=SubprocessRunner)
    # The machine the disks go into (records, licence): `hosts` names one per target path
    # (a batch of disks for several machines), `host` the one of every other target.
    host: HostRef | None = None
    hosts: dict[str, HostRef] = field(default_factory=dict)
    host_note: str | None = None  # why SMBIOS does not name `host` (see jobs.deploy_host)
    keystore: KeyStore | None = None  # the bench's reserved licence keys
    # The firmware tables of the machine the disks go into; None when that machine is
    # not the one Station runs on (a bench dock), so its OEM key cannot be seen.
    acpi_tables: Path | None = ACPI_TABLES
    image_cache: Path | None = None  # where HTTP images are kept (default: data dir)
    inspect: Callable[[str], TargetInspection] = field(default=inspect_target)
    # An HTTP image with a frame list is written while it downloads; True caches it whole
    # first (the disk stays untouched if the server turns out to hold another image).
    http_cache: bool = False
    # Where the frames come from instead (the classroom's multicast receiver), given the
    # frame list and the transport summary to fill in.
    frame_source: FrameSourceFactory | None = None
    # The image folder is on the Station stick, which may be pulled: the deploy waits for
    # it to come back (station.imaging.stick_source). None: a pull fails the deploy.
    stick: StickWait | None = None


Writer = Callable[[Callable[[int], None]], None]
# (frame list, transport summary to fill, cancel) -> (frame reader, its closer)
FrameSourceFactory = Callable[
    [list[CheckedFrame], Transport, "threading.Event | None"],
    tuple[PackedReader, Callable[[], None]],
]


@dataclass
class _Network:
    """A deploy whose frames come from the network, each checked before it is written."""

    reader: PackedReader
    closer: Callable[[], None]
    frames: list[Frame]
    transport: Transport

    def writer(
        self, block_map: BlockMap, runs: list[TargetRun], cancel: threading.Event | None
    ) -> Writer:
        def write(tick: Callable[[int], None]) -> None:
            write_frames(self.reader, self.frames, block_map, runs, tick=tick, cancel=cancel)

        return write

    def close(self) -> None:
        self.closer()


def _network(
    request: DeployRequest,
    checked: list[CheckedFrame],
    block_map: BlockMap,
    cancel: threading.Event | None,
) -> _Network:
    """The frame reader of a streamed deploy: HTTP ranges, or the request's own source."""
    frames = [c.frame for c in checked]
    total = frames_with_data(frames, block_map.spans())
    if request.frame_source is not None:
        transport = Transport("multicast", "", frames_total=total)
        reader, closer = request.frame_source(checked, transport, cancel)
    else:
        url = source.image_url(request.profile)
        transport = Transport("http_stream", url, frames_total=total)
        http = HttpFrames(url, checked, transport, cancel=cancel)
        reader, closer = http, http.close
    return _Network(reader, closer, frames, transport)


@dataclass
class _Image:
    folder: Path
    size: int
    mapped: int
    block_map: BlockMap | None = None
    saved: ClonezillaImage | None = None
    checked: list[CheckedFrame] | None = None  # frames to fetch from the network
    # A local image whose frames can be checked again after the stick is put back.
    stick_frames: list[CheckedFrame] | None = None


def _streams(request: DeployRequest) -> bool:
    """An HTTP image with a frame list is streamed, unless the request asks for the cache
    or the server does not answer byte ranges (then it is cached whole, as before)."""
    if request.http_cache or not source.streams_over_http(request.profile):
        return False
    url = source.image_url(request.profile)
    if answers_ranges(url):
        return True
    log.warning("%s: the server does not answer byte ranges; downloading it whole first", url)
    return False


def _load_image(request: DeployRequest) -> _Image:
    """The image's files checked against the manifest, before any target is opened. A
    streamed image has only its block map and frame list here (its frames are checked one
    by one as they arrive)."""
    profile = request.profile
    if request.frame_source is not None or _streams(request):
        folder, checked = source.stream_files(profile, request.profile_dir, request.image_cache)
        block_map = load_block_map(folder)
        if sum(c.frame.size for c in checked) != block_map.image_size:
            raise ImageError(
                f"{profile.name}: the frame list does not cover the block map's image "
                "size (mismatched files): refused before writing"
            )
        return _Image(
            folder, block_map.image_size, block_map.mapped_bytes, block_map, checked=checked
        )
    folder = source.resolve_location(profile, request.profile_dir, request.image_cache)
    source.check_manifest(folder, profile.manifest)
    source.check_format(profile, folder)
    if profile.format is ImageFormat.STATION_RAW:
        block_map = load_block_map(folder)
        check_structure(folder, block_map)
        return _Image(
            folder,
            block_map.image_size,
            block_map.mapped_bytes,
            block_map,
            stick_frames=_stick_frames(request, folder, block_map),
        )
    saved = read_clonezilla(folder)
    source.check_listed(folder, profile.manifest, used_files(saved))
    return _Image(folder, saved.required_bytes, saved.partitions_bytes, saved=saved)


def _stick_frames(
    request: DeployRequest, folder: Path, block_map: BlockMap
) -> list[CheckedFrame] | None:
    """The frame list of an image read from a stick that may be pulled (checked with the
    manifest already); None when the deploy cannot wait for the stick (no frame list: a
    stick put back could not be checked frame by frame)."""
    if request.stick is None or FRAMES_FILE not in request.profile.manifest:
        return None
    checked = frame_list.load(folder / FRAMES_FILE)
    if sum(c.frame.size for c in checked) != block_map.image_size or any(
        c.frame.size > CHUNK for c in checked
    ):
        log.warning("%s: its frame list does not fit the image: a pulled stick fails it", folder)
        return None
    return checked


def _new_report(
    request: DeployRequest,
    target: BlockTarget,
    inspection: TargetInspection,
    digest: str,
    image_size: int,
    mapped: int,
) -> DeployReport:
    ident = inspection.identity
    host = host_of(request, target.path)
    return DeployReport(
        target=target.path,
        size_bytes=target.size,
        serial=ident.serial,
        model=ident.model,
        wwn=ident.wwn,
        host=None if host is None else host.model_dump(mode="json", exclude_none=True),
        host_note=request.host_note if target.path not in request.hosts else None,
        image_name=request.profile.name,
        image_sha256=digest,
        image_format=request.profile.format.value,
        image_size=image_size,
        mapped_bytes=mapped,
        verification=request.profile.verify,
        zero_skip_basis=request.zero_verified.get(target.path),
        started_at=utc_now(),
    )


def _refuse_too_small(profile: ImageProfile, target: BlockTarget, image_size: int) -> None:
    if image_size > target.size:
        raise ImageError(
            f"image {profile.name} is {image_size} bytes, larger than {target.path} "
            f"({target.size} bytes): refused before writing",
            french=f"l'image {profile.name} ({image_size} octets) est plus grande que "
            f"{target.path} ({target.size} octets) : refusée avant d'écrire",
        )
    if profile.min_disk_bytes > target.size:
        raise ImageError(
            f"image {profile.name} needs a disk of at least {profile.min_disk_mib} MiB; "
            f"{target.path} has {target.size // MIB} MiB",
            french=f"l'image {profile.name} demande un disque d'au moins "
            f"{profile.min_disk_mib} Mio ; {target.path} a {target.size // MIB} Mio "
            "(rien n'a été écrit)",
        )


def _refuse_useless_key(profile: ImageProfile) -> None:
    """A key-pool image whose recorded registry facts say Windows would not apply the key
    (not generalized, another edition) is refused before writing; the licence step checks
    the deployed disk's registry again before a key is taken."""
    if profile.licence.policy is not LicencePolicy.KEY_POOL or profile.windows is None:
        return
    refusal = key_refusal(profile.licence, profile.windows)
    if refusal is not None:
        raise ImageError(f"{profile.name}: {refusal} (nothing was written)")


def _mark_not_deployed(target: BlockTarget, report: DeployReport) -> None:
    """Zero the first and last MiB (MBR/GPT and backup GPT) of a disk whose deploy failed."""
    try:
        head = min(MIB, target.size)
        zero_range(target, 0, head)
        if target.size > 2 * MIB:
            zero_range(target, target.size - MIB, MIB)
        target.flush()
        report.marked_not_deployed = True
    except OSError as exc:
        report.reasons.append(f"could not zero the partition tables: {exc.strerror or exc}")


def run_deploy(
    request: DeployRequest,
    *,
    on_event: ProgressSink | None = None,
    cancel: threading.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> list[DeployReport]:
    """Write the image profile's master to every target disk (a Station image or a
    Clonezilla image), verify it, run the post-deploy steps and the licence step, and
    record one ImageDeploy (and licence assignment) per disk.

    Promises: the manifest and the image format are checked before the first write; a
    disk that fails is marked not deployed (partition tables zeroed) while the others go
    on; `outcome` is `deployed` only when every byte was written and verified, and
    `cancelled` (not `failed`) when `cancel` stopped it, its tables zeroed all the same. Raises
    ImageError (bad or missing image, target too small), TargetRefused (safety checks).
    """
    profile = request.profile
    if not request.targets:
        raise ImageError("no target disk given")
    image = _load_image(request)
    folder, block_map, saved = image.folder, image.block_map, image.saved
    size, mapped = image.size, image.mapped
    digest = source.manifest_digest(profile.manifest)
    _refuse_useless_key(profile)
    inspections = [ensure_eligible(path, request.inspect) for path in request.targets]
    with ExitStack() as stack:
        targets = [stack.enter_context(BlockTarget.open(p, write=True)) for p in request.targets]
        plans: list[FitPlan | None] = []
        for target in targets:
            if saved is not None:
                # A smaller disk is refused only when the last filesystem cannot shrink.
                plans.append(plan_fit(saved, target.size))
                _refuse_too_small(profile, target, 0)
            else:
                _refuse_too_small(profile, target, size)
        reports = [
            _new_report(request, t, i, digest, size, mapped)
            for t, i in zip(targets, inspections, strict=True)
        ]
        if block_map is not None:
            runs = [TargetRun(t, skip_zeros=t.path in request.zero_verified) for t in targets]
            if image.checked is None and image.stick_frames is not None:
                assert request.stick is not None  # _stick_frames gave frames only then
                stick = StickDeploy(
                    folder, image.stick_frames, request.stick, on_event, request.targets, cancel
                )
                write = stick.writer(block_map, runs)
                _write_and_verify(
                    request, write, block_map, runs, reports, stick.events, cancel, clock
                )
                if stick.reader.pauses:
                    for report in reports:
                        report.transport = stick.transport.as_record()
            elif image.checked is None:
                write = _local_writer(folder, block_map, runs, cancel)
                _write_and_verify(request, write, block_map, runs, reports, on_event, cancel, clock)
            else:
                network = _network(request, image.checked, block_map, cancel)
                try:
                    write = network.writer(block_map, runs, cancel)
                    _write_and_verify(
                        request, write, block_map, runs, reports, on_event, cancel, clock
                    )
                finally:
                    network.close()
                for report in reports:
                    report.transport = network.transport.as_record()
            for run, report in zip(runs, reports, strict=True):
                if report.outcome != "deployed":
                    _mark_not_deployed(run.target, report)
    if saved is not None:
        # sfdisk and partclone open the disk and its partitions themselves.
        _restore_clonezilla(request, saved, plans, reports, on_event, cancel, clock)
        for report in reports:
            if report.outcome != "deployed":
                with BlockTarget.open(report.target, write=True) as target:
                    _mark_not_deployed(target, report)
    for report in reports:
        if report.outcome == "deployed":
            _post_deploy(request, report)
        if report.outcome == "deployed":
            run_licence(_licence_context(request, report.target), report)
        _finish(report)
        log.info(
            "deploy %s: %s (%s bytes written) %s",
            report.target,
            report.outcome,
            report.bytes_written,
            report.reasons,
        )
    if request.journal is not None:
        request.journal.append_many([deploy_record(request, r) for r in reports])
    return reports


def host_of(request: DeployRequest, target: str) -> HostRef | None:
    """The machine `target` goes into; with none given, the asset tag alone names it."""
    host = request.hosts.get(target) or request.host
    if host is None and request.asset_tag:
        host = HostRef(asset_tag=request.asset_tag, identified_by="asset_tag")
    return host


def _licence_context(request: DeployRequest, target: str) -> LicenceContext:
    return LicenceContext(
        profile=request.profile,
        host=host_of(request, target) or HostRef(identified_by="none"),
        operator=request.operator,
        runner=request.runner,
        journal=request.journal,
        keystore=request.keystore,
        acpi_tables=request.acpi_tables,
    )


def _restore_clonezilla(
    request: DeployRequest,
    saved: ClonezillaImage,
    plans: list[FitPlan | None],
    reports: list[DeployReport],
    on_event: ProgressSink | None,
    cancel: threading.Event | None,
    clock: Callable[[], float],
) -> None:
    progress = _Progress(on_event, ", ".join(r.target for r in reports), clock)
    tick = progress.ticker("deploy", compressed_size(saved), 1, 1)
    started = clock()
    outcomes = deploy_clonezilla(
        saved, [r.target for r in reports], request.runner, plans=plans, tick=tick, cancel=cancel
    )
    seconds = clock() - started
    for outcome, report in zip(outcomes, reports, strict=True):
        report.commands += [e.to_record() for e in outcome.evidence]
        report.verification = "filesystem_check"
        report.checks, report.post_deploy = outcome.checks, outcome.steps
        if seconds > 0:
            report.write_rate_bps = round(saved.partitions_bytes / seconds)
        if outcome.error is not None and outcome.cancelled:
            report.cancel(outcome.error)
        elif outcome.error is not None:
            report.fail(outcome.error)
        else:
            report.verified, report.outcome = outcome.checked, "deployed"


def _local_writer(
    folder: Path, block_map: BlockMap, runs: list[TargetRun], cancel: threading.Event | None
) -> Writer:
    def write(tick: Callable[[int], None]) -> None:
        stream_raw_image(folder, block_map, runs, tick=tick, cancel=cancel)

    return write


def _write_and_verify(
    request: DeployRequest,
    write: Writer,
    block_map: BlockMap,
    runs: list[TargetRun],
    reports: list[DeployReport],
    on_event: ProgressSink | None,
    cancel: threading.Event | None,
    clock: Callable[[], float],
) -> None:
    label = ", ".join(r.target for r in reports)
    progress = _Progress(on_event, label, clock)
    stream_error: str | None = None
    stopped = False  # the stream ended on the operator's stop, not on a fault
    started = clock()
    try:
        tick = progress.ticker("deploy", block_map.image_size, 1, 2)
        write(tick)
    except (ImageError, JobCancelled) as exc:
        stream_error, stopped = exc.one_line(), isinstance(exc, JobCancelled)
    seconds = clock() - started
    mismatches: dict[int, list[tuple[int, int]]] = {}
    if stream_error is None and request.profile.verify == "readback":
        progress.start()
        tick = progress.ticker("verify", block_map.mapped_bytes, 2, 2)
        mismatches = verify_runs(runs, block_map, tick=tick, cancel=cancel)
    for index, (run, report) in enumerate(zip(runs, reports, strict=True)):
        report.bytes_written = run.bytes_written
        report.zero_bytes_skipped = run.zero_bytes_skipped
        report.unmapped_bytes_zeroed = run.unmapped_bytes_zeroed
        if seconds > 0:
            report.write_rate_bps = round(block_map.image_size / seconds)
        if stream_error is not None and stopped:
            report.cancel(stream_error)
        elif stream_error is not None:
            report.fail(stream_error)
        elif run.error == READBACK_CANCELLED:
            report.cancel(run.error)
        elif run.error is not None:
            report.fail(run.error)
        elif request.profile.verify == "readback":
            report.mismatched_ranges = mismatches.get(index, [])
            report.verified = not report.mismatched_ranges
            if report.verified:
                report.outcome = "deployed"
            else:
                report.fail(
                    f"{len(report.mismatched_ranges)} range(s) did not read back as written"
                )
        else:
            # Every range's sha256 was checked on the stream before it was written.
            report.verified, report.outcome = False, "deployed"
            run.target.flush()


def _asset_tag(request: DeployRequest, target: str) -> str | None:
    """The operator's tag for this disk's machine (the hostname of a Linux image)."""
    own = request.hosts.get(target)
    return own.asset_tag if own is not None else request.asset_tag


def _post_deploy(request: DeployRequest, report: DeployReport) -> None:
    context = PostDeployContext(
        device=report.target,
        profile=request.profile,
        asset_tag=_asset_tag(request, report.target),
        runner=request.runner,
    )
    steps, evidence, problems = run_post_deploy(context)
    report.post_deploy = report.post_deploy + steps
    report.commands += [e.to_record() for e in evidence]
    for problem in problems:
        report.fail(f"post-deploy: {problem}")


def _finish(report: DeployReport) -> None:
    report.ended_at = utc_now()
    report.duration_s = round((report.ended_at - report.started_at).total_seconds(), 3)


def deploy_record(request: DeployRequest, report: DeployReport) -> ImageDeploy:
    return ImageDeploy(
        created_at=report.ended_at or utc_now(),
        operator=request.operator,
        host=host_of(request, report.target),
        profile=request.profile.name,
        disk=disk_ref_of(report, report.target),
        image_name=report.image_name,
        image_sha256=report.image_sha256,
        bytes_written=report.bytes_written,
        zero_bytes_skipped=report.zero_bytes_skipped,
        zero_skip_basis=report.zero_skip_basis,
        verified=report.verified,
        post_deploy=report.post_deploy,
        outcome=report.outcome,
        commands=[command_record(c) for c in report.commands],
        transport=None if report.transport is None else DeployTransport(**report.transport),
    )
