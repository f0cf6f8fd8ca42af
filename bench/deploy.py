#!/usr/bin/env python3
"""Station's image deploy side by side with bmaptool, zstd | dd and partclone.

`make bench` runs `bench/deploy.py --write-doc docs/performance.md`. It builds a 2 GiB
master disk (GPT, one ext4 partition holding ~600 MiB of files, part random, part text),
makes a Station image of it (zstd + bmap) and a partclone image of its partition, then
deploys onto loop devices made with `losetup --direct-io=on` (so the page cache flatters
no one), alternating the tools run by run:

- Station (`run_deploy`, in-process): stream check + read-back of every mapped range;
  the same with the stream check only (what bmaptool does); the same after a wipe that
  left zeros (here: a fresh sparse target, so zero ranges are skipped);
- `bmaptool copy` (checks each range's sha256 while writing);
- `zstd -dc | dd oflag=direct` (writes the whole 2 GiB);
- `sfdisk` + `zstd -dc | partclone.ext4 -r` (restores used blocks only);
- a 3-disk batch (one decompression, three targets) against one single deploy.

Times are wall-clock medians; rates are bytes of image data (mapped bytes) per second.
The section between the deploy markers of docs/performance.md is replaced; nothing else.
Only loop devices this script made are touched (STATION_DEVICE_ALLOWLIST is set to them).
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
MIB, GIB = 1024 * 1024, 1024 * 1024 * 1024
BEGIN, END = "<!-- deploy:begin -->", "<!-- deploy:end -->"


def sh(cmd: list[str] | str, **kwargs: object) -> str:
    done = subprocess.run(
        cmd, shell=isinstance(cmd, str), capture_output=True, text=True, check=False, **kwargs
    )
    if done.returncode != 0:
        raise RuntimeError(f"{cmd}: {done.stderr.strip()[-400:]}")
    return done.stdout


class Loops:
    """Loop devices over sparse files in `workdir`; detached (partitions dropped) at exit."""

    def __init__(self, workdir: Path) -> None:
        self.workdir, self.made, self.files = workdir, [], []

    def make(self, size: int, name: str) -> str:
        backing = self.workdir / f"{name}.img"
        backing.unlink(missing_ok=True)
        with backing.open("wb") as handle:
            handle.truncate(size)
        device = sh(["losetup", "-f", "--show", "--direct-io=on", str(backing)]).strip()
        self.made.append(device)
        self.files.append(backing)
        os.environ["STATION_DEVICE_ALLOWLIST"] = ":".join(self.made)
        return device

    def reset(self, device: str) -> None:
        """Back to an all-zero sparse disk (discarding the backing file's blocks)."""
        subprocess.run(["partx", "-d", device], capture_output=True, check=False)
        sh(["blkdiscard", device])

    def close(self) -> None:
        for device in self.made:
            subprocess.run(["partx", "-d", device], capture_output=True, check=False)
            subprocess.run(["losetup", "-d", device], capture_output=True, check=False)
        for backing in self.files:
            backing.unlink(missing_ok=True)


def build_master(loops: Loops, workdir: Path, data_mib: int) -> str:
    device = loops.make(2 * GIB, "master")
    sh(["sfdisk", "-q", device], input="label: gpt\n,,L\n")
    sh(["partx", "-a", device])
    root = workdir / "rootfs"
    (root / "random").mkdir(parents=True)
    (root / "text").mkdir()
    random_mib = data_mib * 2 // 5
    for n in range(random_mib // 8):
        (root / "random" / f"blob{n:03d}.bin").write_bytes(os.urandom(8 * MIB))
    for n in range((data_mib - random_mib) // 8):
        # base64 of random bytes: text that zstd shrinks by about a quarter.
        text = base64.b64encode(os.urandom(6 * MIB)).decode()
        (root / "text" / f"doc{n:03d}.txt").write_text(text)
    sh(["mkfs.ext4", "-q", "-F", "-d", str(root), f"{device}p1"])
    sh(["rm", "-rf", str(root)])
    return device


def timed(action: Callable[[], object]) -> float:
    start = time.monotonic()
    action()
    return time.monotonic() - start


@contextmanager
def workspace(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="station-bench-deploy-", dir="/var/tmp") as where:
        yield Path(where)


def run(args: argparse.Namespace, log: Callable[[str], None]) -> str:
    from station.imaging.profiles import load_image_profile
    from station.imaging.raw_create import BMAP_FILE, IMAGE_FILE, create_raw_image
    from station.jobs.deploy import DeployRequest, run_deploy

    with workspace(args.workdir) as workdir:
        loops = Loops(workdir)
        try:
            log("building the master disk")
            master = build_master(loops, workdir, args.data_mib)
            log("making the Station image")
            image_s = timed(lambda: create_raw_image(master, workdir / "image"))
            sizes = {p.name: p.stat().st_size for p in (workdir / "image").iterdir()}
            log("making the partclone image")
            part_img = workdir / "part1.ext4-ptcl-img.zst"
            sh(
                f"partclone.ext4 -c -q -L /dev/null -s {master}p1 -o - | zstd -q -T2 -c "
                f"> {part_img}"
            )
            table = sh(["sfdisk", "--dump", master])
            from station.imaging.bmap import parse
            from station.imaging.raw_create import file_sha256

            block_map = parse(workdir / "image" / BMAP_FILE)
            manifest = {n: file_sha256(workdir / "image" / n) for n in (IMAGE_FILE, BMAP_FILE)}
            profiles = {}
            for verify in ("readback", "stream"):
                path = workdir / f"bench-{verify}.yaml"
                path.write_text(
                    "schema_version: 1\n"
                    f"name: bench-{verify}\n"
                    "title: {fr: Banc, en: Bench}\n"
                    "os: {family: linux, name: Debian, version: '12'}\n"
                    "format: station-raw-zstd\n"
                    f"location: {workdir / 'image'}\n"
                    f"manifest: {{disk.img.zst: '{manifest[IMAGE_FILE]}', "
                    f"disk.bmap: '{manifest[BMAP_FILE]}'}}\n"
                    f"verify: {verify}\n"
                    "post_deploy: {move_backup_gpt: false}\n"
                )
                profiles[verify] = load_image_profile(str(path))
            targets = [loops.make(2 * GIB, f"target{n}") for n in range(3)]
            target = targets[0]

            def station(verify: str, devices: list[str], zeros: bool = False) -> None:
                profile, folder = profiles[verify]
                basis = {d: "bench: fresh sparse target" for d in devices} if zeros else {}
                reports = run_deploy(
                    DeployRequest(devices, profile, profile_dir=folder, zero_verified=basis)
                )
                bad = [r.reasons for r in reports if r.outcome != "deployed"]
                if bad:
                    raise RuntimeError(f"station deploy failed: {bad}")

            bmap_cmd = [
                "bmaptool",
                "-q",
                "copy",
                "--bmap",
                str(workdir / "image" / BMAP_FILE),
                str(workdir / "image" / IMAGE_FILE),
                target,
            ]
            dd_cmd = (
                f"zstd -dc -q {workdir / 'image' / IMAGE_FILE} | dd of={target} bs=4M "
                "iflag=fullblock oflag=direct status=none"
            )

            def partclone() -> None:
                sh(["sfdisk", "-q", "--no-reread", "--no-tell-kernel", target], input=table)
                sh(["partx", "-a", target])
                sh(f"zstd -dc -q {part_img} | partclone.ext4 -r -q -L /dev/null -s - -o {target}p1")

            tools: dict[str, Callable[[], object]] = {
                "Station, stream check + read-back": lambda: station("readback", [target]),
                "Station, stream check only": lambda: station("stream", [target]),
                "Station, after a zero-verified wipe (read-back)": lambda: station(
                    "readback", [target], zeros=True
                ),
                "bmaptool copy": lambda: sh(bmap_cmd),
                "zstd -dc | dd oflag=direct": lambda: sh(dd_cmd),
                "partclone restore (sfdisk + zstd -dc | partclone.ext4 -r)": partclone,
            }
            times: dict[str, list[float]] = {name: [] for name in tools}
            for round_no in range(args.runs):
                for name, action in tools.items():
                    loops.reset(target)
                    seconds = timed(action)
                    times[name].append(seconds)
                    log(f"run {round_no + 1}: {name}: {seconds:.2f} s")
            batches: dict[str, tuple[list[float], list[float]]] = {}
            for label, devices in (("disk", targets),):
                batch: list[float] = []
                single: list[float] = []
                for round_no in range(args.runs):
                    for device in devices:
                        loops.reset(device)
                    batch.append(timed(lambda d=devices: station("readback", d)))
                    loops.reset(devices[0])
                    single.append(timed(lambda d=devices: station("readback", d[:1])))
                    log(
                        f"run {round_no + 1} ({label}): batch of 3 {batch[-1]:.2f} s, "
                        f"single {single[-1]:.2f} s"
                    )
                batches[label] = (batch, single)
        finally:
            loops.close()
    return render(
        args, times, batches, block_map.mapped_bytes, block_map.image_size, sizes, image_s
    )


def render(
    args: argparse.Namespace,
    times: dict[str, list[float]],
    batches: dict[str, tuple[list[float], list[float]]],
    mapped: int,
    image_size: int,
    sizes: dict[str, int],
    image_s: float,
) -> str:
    def rate(seconds: float) -> str:
        return f"{mapped / seconds / 1e6:,.0f} MB/s"

    median = {name: statistics.median(values) for name, values in times.items()}
    bmap = median["bmaptool copy"]
    lines = [
        BEGIN,
        "## Image deploy (bench/deploy.py)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.processor() or 'x86_64'}"
        f" ({os.cpu_count()} cores, shared), Python {platform.python_version()}, load average "
        f"{os.getloadavg()[0]:.1f}; loop devices with `--direct-io=on` over sparse files; "
        f"median of {args.runs} alternated runs.",
        "",
        f"Image: {image_size / GIB:.0f} GiB disk, {mapped / MIB:,.0f} MiB mapped (ext4 with "
        f"{args.data_mib} MiB of files, 40 % random, 60 % text), "
        f"disk.img.zst {sizes.get('disk.img.zst', 0) / MIB:,.0f} MiB; making it with "
        f"`station image create` took {image_s:.1f} s.",
        "",
        "| tool | median time | image data rate | vs bmaptool |",
        "|---|---|---|---|",
    ]
    for name, seconds in median.items():
        label = name.replace("|", "\\|")
        lines.append(f"| {label} | {seconds:.2f} s | {rate(seconds)} | {bmap / seconds:.2f} x |")
    lines += [
        "",
        "| batch of 3 disks (read-back on) | batch | one disk | ratio (bar 1.3 x) |",
        "|---|---|---|---|",
    ]
    where = {
        "disk": "loop devices on the host's one (virtual) disk",
        "ram": "targets in RAM (/dev/shm): the pipeline alone",
    }
    for label, (batch, single) in batches.items():
        ratio = statistics.median(batch) / statistics.median(single)
        lines.append(
            f"| {where[label]} | {statistics.median(batch):.2f} s | "
            f"{statistics.median(single):.2f} s | {ratio:.2f} x: "
            f"{'met' if ratio <= 1.3 else 'not met'} |"
        )
    lines += [
        "",
        "Three single deploys in a row take three times the one-disk time. Loop devices "
        "here all sit on one shared virtual disk, so a batch's writes queue behind each other "
        "there; on a bench each target is its own drive.",
        "",
        "Bars: Station (stream check, as bmaptool) at least bmaptool's speed: "
        f"{'met' if median['Station, stream check only'] <= bmap else 'not met'}; "
        "time grows with data, not disk size: not measured as such here (one image size); "
        "by design only mapped ranges are written and read back, unmapped ones are zeroed "
        "with BLKZEROOUT or, after a zero-verified wipe, skipped, but the zstd stream of the "
        "whole disk is still decompressed. The read-back rows read every mapped byte again, "
        "which bmaptool does not do. Runs on this shared machine vary by up to 2 x (load "
        "average above); compare rows of the same run rather than across sections.",
        "",
        "Rerun: `make bench`, or `.venv/bin/python bench/deploy.py --write-doc "
        "docs/performance.md` (`--runs N`, `--data-mib N`).",
        END,
    ]
    return "\n".join(lines) + "\n"


def write_doc(path: Path, section: str) -> None:
    document = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    if BEGIN in document and END in document:
        head, rest = document.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        updated = head + section + ("\n" + tail if tail else "")
    else:
        updated = document.rstrip("\n") + "\n\n" + section
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(updated, encoding="utf-8")
    tmp.replace(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-doc", type=Path, help="replace the deploy section of FILE")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data-mib", type=int, default=600)
    parser.add_argument("--workdir", type=Path, help="keep the work files here")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench/deploy.py needs root (loop devices)", file=sys.stderr)
        return 2

    def log(line: str) -> None:
        print(f"[deploy bench] {line}", file=sys.stderr, flush=True)

    section = run(args, log)
    print(section)
    if args.write_doc:
        write_doc(args.write_doc, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
