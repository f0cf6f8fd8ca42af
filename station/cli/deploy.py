"""`station deploy DEVICE... --image PROFILE`: write a master image, verify it, finish it."""

from __future__ import annotations

import argparse
import json
import signal
import socket
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from station.cli.deploy_hosts import DeployHosts, deploy_hosts
from station.cli.keys import open_keystore
from station.cli.lang import tr
from station.cli.progress_line import ProgressPrinter, human_bytes
from station.devices.safety import inspect_target
from station.devices.udpcast import DEFAULT_PORTBASE, ReceiverSettings
from station.domain.image_profile import ImageProfile, LicencePolicy
from station.domain.notes import note_or_technical
from station.domain.progress import ProgressEvent, ProgressSink
from station.domain.wipe_report import WipeReport
from station.errors import StationError, UsageError
from station.imaging import source
from station.imaging.deploy_report import DeployReport
from station.imaging.licence import ACPI_TABLES
from station.imaging.profiles import load_image_profile, zero_basis
from station.jobs.deploy import DeployRequest, FrameSourceFactory, run_deploy
from station.jobs.multicast_source import multicast_source
from station.jobs.wipe import ensure_eligible
from station.sync.classroom_status import StatusReporter, licence_fields
from station.wiring import command_services, require_stick

EXIT_DEPLOYED, EXIT_FAILED = 0, 4


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "deploy",
        help="write a master image to one or more disks and verify it",
        description="Deploy the image of PROFILE to each DEVICE (several devices: the image is "
        "read once and written to all). Refuses before writing when a disk is not eligible or "
        "too small, or the image does not match its manifest. Exit codes: 0 all deployed, "
        "4 at least one failed, 5 refused, 11 bad image, 130 cancelled.",
    )
    parser.add_argument("devices", nargs="+", metavar="DEVICE", help="e.g. /dev/sdb")
    parser.add_argument("--image", required=True, help="image profile name or YAML file")
    parser.add_argument(
        "--asset-tag",
        action="append",
        default=[],
        help="the asset tag of the machine the disk goes into (hostname on Linux images); "
        "several devices: one per device, same order",
    )
    parser.add_argument(
        "--bench-dock",
        action="store_true",
        help="the disks go into other machines (a bench dock): this machine's SMBIOS identity "
        "is not theirs, the asset tags name them. Implied with several devices.",
    )
    parser.add_argument(
        "--after-wipe",
        metavar="REPORT",
        action="append",
        default=[],
        help="wipe report JSON (one per device, same order) that verified zeros: zero ranges "
        "are then skipped",
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--json", metavar="FILE", help="write the reports as JSON to FILE")
    parser.add_argument("--operator", default="station", help="pseudonymous operator id")
    parser.add_argument("--no-journal", action="store_true", help="do not write signed records")
    classroom = parser.add_argument_group("classroom (docs/classroom.md)")
    classroom.add_argument(
        "--multicast",
        metavar="IFACE",
        help="receive the image from the classroom's multicast stream (udp-receiver) on "
        "IFACE; frames it misses come over HTTP ranges from the profile's http location",
    )
    classroom.add_argument("--portbase", type=int, default=DEFAULT_PORTBASE, help="udpcast port")
    classroom.add_argument(
        "--start-timeout",
        type=int,
        default=30,
        help="seconds to wait for the stream to start before taking everything over HTTP",
    )
    classroom.add_argument(
        "--status-url",
        help="the classroom server's status board: this laptop reports its progress there",
    )
    classroom.add_argument(
        "--board-name",
        help="this laptop's name on the status board (default: the asset tag, else the hostname)",
    )
    parser.add_argument(
        "--http-cache",
        action="store_true",
        help="download an HTTP image whole into the cache before writing (default: stream it)",
    )
    parser.set_defaults(func=handle)


def _zero_verified(devices: list[str], reports: list[str]) -> dict[str, str]:
    if not reports:
        return {}
    if len(reports) != len(devices):
        raise UsageError("give one --after-wipe report per device, in the same order")
    basis = {}
    for device, path in zip(devices, reports, strict=True):
        report = WipeReport.model_validate_json(Path(path).read_text(encoding="utf-8"))
        ident = inspect_target(device).identity
        basis[device] = zero_basis(report, ident.size_bytes, ident.serial)
    return basis


def handle(args: argparse.Namespace) -> int:
    profile, folder = load_image_profile(args.image)
    devices: list[str] = list(args.devices)
    for device in devices:
        ident = ensure_eligible(device, inspect_target).identity
        print(
            tr("target: ", "disque : ")
            + f"{device} ({ident.model or tr('unknown model', 'modèle inconnu')}, "
            + tr("serial ", "n° de série ")
            + f"{ident.serial or tr('unknown', 'inconnu')}, {human_bytes(ident.size_bytes)})",
            file=sys.stderr,
        )
    title = tr(profile.title.en, profile.title.fr)
    print(tr("image: ", "image : ") + f"{profile.name}: {title}", file=sys.stderr)
    hosts = deploy_hosts(devices, args.asset_tag, dock=args.bench_dock)
    _refuse_unnamed_hosts(profile, devices, hosts)
    for line in hosts.describe():
        print(line, file=sys.stderr)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(
                "not on a terminal: add --yes to confirm non-interactively",
                french="pas de terminal : ajoutez --yes pour confirmer sans question",
            )
        listed = ", ".join(devices)
        answer = input(
            tr(
                f"Everything on {listed} will be replaced. Type 'yes': ",
                f"Tout le contenu de {listed} sera remplacé. Tapez « oui » : ",
            )
        )
        if answer.strip().lower() not in {"yes", "oui"}:
            raise UsageError(
                "not confirmed: nothing was written",
                french="pas confirmé : rien n'a été écrit",
            )
    cancel = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        cancel.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    if not args.no_journal:
        require_stick()  # before the journal is opened on it
    journal = None if args.no_journal else command_services().journal
    reporter = _reporter(args, hosts, journal.bench_id if journal else None)
    reports: list[DeployReport] = []
    try:
        request = DeployRequest(
            devices,
            profile,
            profile_dir=folder,
            asset_tag=args.asset_tag[0] if len(args.asset_tag) == 1 else None,
            host=hosts.this_machine.host if hosts.this_machine else None,
            hosts=hosts.per_disk,
            host_note=hosts.this_machine.note if hosts.this_machine else None,
            zero_verified=_zero_verified(devices, args.after_wipe),
            operator=args.operator,
            journal=journal,
            keystore=open_keystore() if profile.licence.policy is LicencePolicy.KEY_POOL else None,
            # In a dock this machine's firmware is the bench's, not the targets'.
            acpi_tables=None if hosts.this_machine is None else ACPI_TABLES,
            http_cache=args.http_cache,
            frame_source=_frame_source(args, profile, reporter),
        )
        reports = run_deploy(request, on_event=_progress(reporter), cancel=cancel)
    except StationError as exc:
        if reporter is not None:
            reporter.say("failed", reason=exc.one_line())
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if reporter is not None:
            _report_outcome(reporter, reports)
            reporter.close()
    if args.json:
        payload = [r.model_dump(mode="json") for r in reports]
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    for report in reports:
        _summary(report)
    if cancel.is_set():
        return 130
    return EXIT_DEPLOYED if all(r.outcome == "deployed" for r in reports) else EXIT_FAILED


def _reporter(
    args: argparse.Namespace, hosts: DeployHosts, bench_id: str | None
) -> StatusReporter | None:
    """The classroom status board's client, named by --board-name, else the asset tag,
    else the hostname, with the bench id of this laptop's journal (the supervisor's page
    matches it with the laptop's approval)."""
    if not args.status_url:
        return None
    laptop = args.board_name or (args.asset_tag[0] if args.asset_tag else socket.gethostname())
    reporter = StatusReporter(args.status_url, laptop, bench_id)
    reporter.say("joined")
    return reporter


def _progress(reporter: StatusReporter | None) -> ProgressSink:
    printer = ProgressPrinter()
    if reporter is None:
        return printer
    said: set[str] = set()

    def sink(event: ProgressEvent) -> None:
        printer(event)
        if event.phase == "verify" and "verify" not in said:
            said.add("verify")
            reporter.say("verifying")

    return sink


def _report_outcome(reporter: StatusReporter, reports: list[DeployReport]) -> None:
    for report in reports:
        how = report.transport or {}
        summary = f"{how.get('kind', 'local')}, {len(how.get('fallback_ranges', []))} plage(s) HTTP"
        licence = licence_fields(report.licence)
        if report.outcome == "deployed":
            reporter.say("done", transport=summary, **licence)
        elif report.outcome == "cancelled":
            reporter.say(
                "cancelled", reason="; ".join(report.reasons), transport=summary, **licence
            )
        else:
            reasons = "; ".join(report.reasons) or "échec"
            reporter.say("failed", reason=reasons, transport=summary, **licence)


def _frame_source(
    args: argparse.Namespace, profile: ImageProfile, reporter: StatusReporter | None
) -> FrameSourceFactory | None:
    if args.multicast is None:
        return None
    if not source.streams_over_http(profile):
        raise UsageError(
            tr(f"{profile.name}: --multicast needs an image on the classroom server (an http "
               "location) whose manifest lists disk.frames",
               f"{profile.name} : --multicast demande une image sur le serveur de la salle "
               "(un emplacement http) dont le manifeste liste disk.frames")
        )  # fmt: skip
    settings = ReceiverSettings(args.multicast, args.portbase, args.start_timeout)
    on_frame = None if reporter is None else reporter.frame
    return multicast_source(settings, source.image_url(profile), on_frame)


def _refuse_unnamed_hosts(profile: ImageProfile, devices: list[str], hosts: DeployHosts) -> None:
    """A pool key is assigned to one machine, ever: each must be named before any write."""
    if profile.licence.policy is not LicencePolicy.KEY_POOL:
        return
    unnamed = [d for d in devices if not hosts.names_machine(d)]
    if unnamed:
        raise UsageError(
            f"{profile.name} takes a licence key per machine: give the --asset-tag of the "
            f"machine of {', '.join(unnamed)} (nothing was written)"
        )


def _how_verified(report: DeployReport) -> str:
    """The same verification the JSON report names, in words."""
    if report.outcome != "deployed":
        return ""
    if report.verification == "stream":
        return tr(
            ", every range's sha256 checked on the stream",
            ", l'empreinte sha256 de chaque zone vérifiée à la volée",
        )
    if not report.verified:
        return tr(", not verified", ", non vérifié")
    if report.verification == "filesystem_check":
        return tr(", checked: ", ", vérifié : ") + "; ".join(report.checks)
    return tr(", verified by read-back", ", vérifié par relecture")


OUTCOME_FR = {"deployed": "déployée", "failed": "échec", "cancelled": "arrêtée à la demande"}


def _summary(report: DeployReport) -> None:
    written = (
        tr("partitions restored by partclone", "partitions restaurées par partclone")
        if report.image_format == "clonezilla"
        else human_bytes(report.bytes_written) + tr(" written", " écrits")
    )
    outcome = tr(report.outcome, OUTCOME_FR[report.outcome])
    lines = [f"{report.target}: {outcome}, {written}{_how_verified(report)}"]
    if report.zero_bytes_skipped:
        skipped = human_bytes(report.zero_bytes_skipped)
        lines.append(
            tr(f"  {skipped} of zeros skipped: ", f"  {skipped} de zéros non réécrits : ")
            + str(report.zero_skip_basis)
        )
    lines += [tr("  done: ", "  fait : ") + step for step in report.post_deploy]
    # English as the report has it; French in the words the bench screen uses.
    lines += [f"  - {tr(why, note_or_technical(why).fr)}" for why in report.reasons]
    print("\n".join(lines), file=sys.stderr)
