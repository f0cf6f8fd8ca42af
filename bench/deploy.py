#!/usr/bin/env python3
"""Station's image deploy side by side with bmaptool, zstd | dd and partclone.

`make bench` runs `bench/deploy.py --write-doc docs/performance.md`. It builds master disks
(GPT, one ext4 partition holding the same ~600 MiB of files, part random, part text),
makes a Station image of each (zstd frames + seek table + bmap) and a partclone image of
the 2 GiB one's partition, then deploys onto loop devices made with
`losetup --direct-io=on` (so the page cache flatters no one), alternating the tools run
by run. Three tables:

1. tools, 2 GiB image, one target (backing file on the host's disk, --workdir):
   Station (`run_deploy`, in-process) with read-back, with the stream check only (what
   bmaptool does), after a zero-verified wipe; `bmaptool copy`; `zstd -dc | dd
   oflag=direct` (writes the whole disk); `sfdisk` + `zstd -dc | partclone.ext4 -r`.
2. disk size (--sizes, GiB): the same files in a bigger sparse disk, Station and bmaptool,
   plus Station on the same image with its seek table cut off (one zstd stream: how
   Station deployed before the seek table, decompressing every hole).
3. batch: 3 targets at once against one, each target's backing file either on the host's
   one disk (`disk`: the three share that device's queue) or in RAM (`ram`: a tmpfs such
   as /dev/shm, one file per target, so no target waits for another's device), or in RAM
   with each loop device throttled to a SATA SSD's speed by the kernel (`throttled`, the
   single and the batch alike: bench/deploy_throttle.py), with the unmapped ranges zeroed
   (BLKZEROOUT) and after a zero-verified wipe (skipped).

Times are wall-clock medians; rates are bytes of image data (mapped bytes) per second.
The tables and the bars' verdicts are rendered by bench/deploy_report.py (pure, tested).
Only the deploy section of docs/performance.md is replaced (bench/perf_doc.py).
Only loop devices this script made are touched (STATION_DEVICE_ALLOWLIST is set to them,
and each one's backing file is checked before it is reset); all are detached in a finally.
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
PARTS = ["tools", "sizes", "batch"]

from deploy_report import BACKINGS, BEGIN, END, GIB, MIB, Image, Run, render  # noqa: E402
from deploy_throttle import MB, Throttle, find_hierarchy  # noqa: E402


def sh(cmd: list[str] | str, **kwargs: Any) -> str:
    done = subprocess.run(
        cmd, shell=isinstance(cmd, str), capture_output=True, text=True, check=False, **kwargs
    )
    if done.returncode != 0:
        raise RuntimeError(f"{cmd}: {done.stderr.strip()[-400:]}")
    return str(done.stdout)


class Loops:
    """Loop devices over sparse files; detached (partitions dropped), files removed at close."""

    def __init__(self) -> None:
        self.made: dict[str, Path] = {}
        self.dio: dict[str, bool] = {}  # as the kernel reports it once attached

    def make(self, size: int, folder: Path, name: str) -> str:
        folder.mkdir(parents=True, exist_ok=True)
        backing = folder / f"{name}.img"
        backing.unlink(missing_ok=True)
        with backing.open("wb") as handle:
            handle.truncate(size)
        device = sh(["losetup", "-f", "--show", "--direct-io=on", str(backing)]).strip()
        self.made[device] = backing
        dio = Path("/sys/block") / Path(device).name / "loop" / "dio"
        self.dio[str(backing)] = dio.read_text().strip() == "1"
        os.environ["STATION_DEVICE_ALLOWLIST"] = ":".join(self.made)
        return device

    def check(self, device: str) -> None:
        """Still our loop device over our file (never reset someone else's device)."""
        sysfs = Path("/sys/block") / Path(device).name / "loop" / "backing_file"
        if sysfs.read_text().strip() != str(self.made[device]):
            raise RuntimeError(f"{device} is no longer backed by {self.made[device]}: stop")

    def reset(self, device: str) -> None:
        """Back to an all-zero sparse disk (discarding the backing file's blocks)."""
        self.check(device)
        subprocess.run(["partx", "-d", device], capture_output=True, check=False)
        sh(["blkdiscard", device])

    def drop(self, device: str) -> None:
        backing = self.made.pop(device)
        subprocess.run(["partx", "-d", device], capture_output=True, check=False)
        subprocess.run(["losetup", "-d", device], capture_output=True, check=False)
        backing.unlink(missing_ok=True)
        os.environ["STATION_DEVICE_ALLOWLIST"] = ":".join(self.made)

    def close(self) -> None:
        for device in list(self.made):
            self.drop(device)


def make_files(root: Path, data_mib: int) -> None:
    (root / "random").mkdir(parents=True)
    (root / "text").mkdir()
    random_mib = data_mib * 2 // 5
    for n in range(random_mib // 8):
        (root / "random" / f"blob{n:03d}.bin").write_bytes(os.urandom(8 * MIB))
    for n in range((data_mib - random_mib) // 8):
        # base64 of random bytes: text that zstd shrinks by about a quarter.
        text = base64.b64encode(os.urandom(6 * MIB)).decode()
        (root / "text" / f"doc{n:03d}.txt").write_text(text)


def build_image(loops: Loops, workdir: Path, files: Path, size: int, partclone: bool) -> Image:
    """A master disk of `size` bytes with `files` in ext4, imaged; the master is dropped."""
    from station.imaging import seek_table
    from station.imaging.bmap import parse
    from station.imaging.raw_create import BMAP_FILE, IMAGE_FILE, create_raw_image
    from station.imaging.raw_deploy import frame_pieces, local_reader

    tag = f"{size // GIB}g"
    master = loops.make(size, workdir, f"master-{tag}")
    sh(["sfdisk", "-q", master], input="label: gpt\n,,L\n")
    sh(["partx", "-a", master])
    sh(["mkfs.ext4", "-q", "-F", "-d", str(files), f"{master}p1"])
    folder = workdir / f"image-{tag}"
    shutil.rmtree(folder, ignore_errors=True)
    created_s = timed(lambda: create_raw_image(master, folder))
    block_map = parse(folder / BMAP_FILE)
    frames = seek_table.read(folder / IMAGE_FILE) or []
    with (folder / IMAGE_FILE).open("rb") as packed:
        pieces = frame_pieces(local_reader(packed), frames, block_map.spans())
        decoded = sum(1 for _, _, fill in pieces if fill is not None)
    from station.imaging.raw_create import file_sha256

    manifest = {n: file_sha256(folder / n) for n in (IMAGE_FILE, BMAP_FILE)}
    image = Image(
        size,
        folder,
        block_map.mapped_bytes,
        (folder / IMAGE_FILE).stat().st_size,
        decoded,
        len(frames),
        created_s,
        manifest,
    )
    if partclone:
        image.part_img = workdir / "part1.ext4-ptcl-img.zst"
        sh(
            f"partclone.ext4 -c -q -L /dev/null -s {master}p1 -o - | zstd -q -T2 -c "
            f"> {image.part_img}"
        )
        image.table = sh(["sfdisk", "--dump", master])
    loops.drop(master)
    return image


def streamed_copy(image: Image, workdir: Path) -> Image:
    """The same image with its seek table cut off: deployed as one zstd stream."""
    from station.imaging import seek_table
    from station.imaging.raw_create import BMAP_FILE, IMAGE_FILE, file_sha256

    folder = workdir / f"{image.folder.name}-stream"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    frames = seek_table.read(image.folder / IMAGE_FILE) or []
    data_end = sum(f.packed_size for f in frames)
    with (image.folder / IMAGE_FILE).open("rb") as src, (folder / IMAGE_FILE).open("wb") as out:
        shutil.copyfileobj(src, out)
        out.truncate(data_end)
    shutil.copy(image.folder / BMAP_FILE, folder / BMAP_FILE)
    manifest = {n: file_sha256(folder / n) for n in (IMAGE_FILE, BMAP_FILE)}
    return Image(image.size, folder, image.mapped, data_end, 0, 0, 0.0, manifest)


def profile_for(image: Image, verify: str, workdir: Path) -> tuple[Any, Path]:
    from station.imaging.profiles import load_image_profile

    path = workdir / f"bench-{image.folder.name}-{verify}.yaml"
    listed = ", ".join(f"{name}: '{digest}'" for name, digest in image.manifest.items())
    path.write_text(
        "schema_version: 1\n"
        f"name: bench-{verify}\n"
        "title: {fr: Banc, en: Bench}\n"
        "os: {family: linux, name: Debian, version: '12'}\n"
        "format: station-raw-zstd\n"
        f"location: {image.folder}\n"
        f"manifest: {{{listed}}}\n"
        f"verify: {verify}\n"
        "post_deploy: {move_backup_gpt: false}\n"
    )
    return load_image_profile(str(path))


def station(profile: tuple[Any, Path], devices: list[str], zeros: bool = False) -> None:
    from station.jobs.deploy import DeployRequest, run_deploy

    loaded, folder = profile
    basis = {d: "bench: fresh discarded target" for d in devices} if zeros else {}
    reports = run_deploy(DeployRequest(devices, loaded, profile_dir=folder, zero_verified=basis))
    bad = [r.reasons for r in reports if r.outcome != "deployed"]
    if bad:
        raise RuntimeError(f"station deploy failed: {bad}")


def bmaptool(image: Image, target: str) -> None:
    folder = image.folder
    sh(
        [
            "bmaptool",
            "-q",
            "copy",
            "--bmap",
            f"{folder}/disk.bmap",
            f"{folder}/disk.img.zst",
            target,
        ]
    )


def timed(action: Callable[[], object]) -> float:
    start = time.monotonic()
    action()
    return time.monotonic() - start


def measure(
    loops: Loops,
    tools: dict[str, tuple[str, Callable[[], object]]],
    runs: int,
    log: Callable[[str], None],
) -> dict[str, list[float]]:
    """Each tool once per round, on its target reset first; the order rotates each round."""
    times: dict[str, list[float]] = {name: [] for name in tools}
    names = list(tools)
    for round_no in range(runs):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            target, action = tools[name]
            loops.reset(target)
            seconds = timed(action)
            times[name].append(seconds)
            log(f"run {round_no + 1}: {name}: {seconds:.2f} s")
    return times


@contextmanager
def workspace(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="station-bench-deploy-", dir="/var/tmp") as where:
        yield Path(where)


def machine_facts(loops: Loops, devices: dict[str, Path], workdir: Path) -> list[str]:
    def first_line(cmd: list[str]) -> str:
        try:
            return sh(cmd).strip().splitlines()[0]
        except (RuntimeError, OSError, IndexError):
            return "?"

    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    ram = int(Path("/proc/meminfo").read_text().split()[1]) * 1024
    dio = ", ".join(
        f"{label}: {'on' if loops.dio[str(backing)] else 'OFF'}"
        for label, backing in devices.items()
    )
    fs = first_line(["findmnt", "-no", "FSTYPE,SOURCE", "--target", str(workdir)])
    return [
        f"CPU {cpu}, {os.cpu_count()} cores shared with other jobs, RAM {ram / GIB:.0f} GiB, "
        f"kernel {platform.release()}, Python {platform.python_version()}",
        f"host disk (work files, `disk` targets): {fs}; `ram` targets: tmpfs",
        f"loop direct I/O as the kernel reports it (/sys/block/loopN/loop/dio): {dio}",
        f"{first_line(['bmaptool', '--version'])}; "
        f"{first_line(['zstd', '--version']).strip('* ').split(', by')[0]}; "
        f"{first_line(['partclone.ext4', '--version'])}",
    ]


def run(args: argparse.Namespace, log: Callable[[str], None]) -> str:
    loads = [os.getloadavg()[0]]
    with workspace(args.workdir) as workdir:
        loops = Loops()
        try:
            files = workdir / "rootfs"
            shutil.rmtree(files, ignore_errors=True)
            make_files(files, args.data_mib)
            images: dict[int, Image] = {}
            for gib in sorted({2, *args.sizes}):
                log(f"building the {gib} GiB master and its image")
                images[gib] = build_image(loops, workdir, files, gib * GIB, partclone=gib == 2)
            shutil.rmtree(files)
            base = images[2]
            disk_dir = workdir / "targets"
            target = loops.make(max(images) * GIB, disk_dir, "target")
            facts_devices = {"disk target": loops.made[target]}
            readback = profile_for(base, "readback", workdir)
            stream = profile_for(base, "stream", workdir)
            assert base.part_img is not None

            def partclone() -> None:
                sh(["sfdisk", "-q", "--no-reread", "--no-tell-kernel", target], input=base.table)
                sh(["partx", "-a", target])
                sh(
                    f"zstd -dc -q {base.part_img} | partclone.ext4 -r -q -L /dev/null -s - "
                    f"-o {target}p1"
                )

            dd = (
                f"zstd -dc -q {base.folder}/disk.img.zst | dd of={target} bs=4M "
                "iflag=fullblock oflag=direct status=none"
            )
            tools: dict[str, tuple[str, Callable[[], object]]] = {
                "Station, stream check + read-back": (target, lambda: station(readback, [target])),
                "Station, stream check only": (target, lambda: station(stream, [target])),
                "Station, after a zero-verified wipe (read-back)": (
                    target,
                    lambda: station(readback, [target], zeros=True),
                ),
                "bmaptool copy": (target, lambda: bmaptool(base, target)),
                "zstd -dc | dd oflag=direct": (target, lambda: sh(dd)),
                "partclone restore (sfdisk + zstd -dc | partclone.ext4 -r)": (target, partclone),
            }
            tool_times = measure(loops, tools, args.runs, log) if "tools" in args.only else {}

            size_times: dict[int, dict[str, list[float]]] = {}
            if "sizes" in args.only:
                # Every size in every round, so load drift hits all sizes alike.
                sized: dict[str, tuple[str, Callable[[], object]]] = {}
                for gib, image in sorted(images.items()):
                    whole = streamed_copy(image, workdir)
                    rb = profile_for(image, "readback", workdir)
                    st = profile_for(image, "stream", workdir)
                    old = profile_for(whole, "stream", workdir)
                    sized |= {
                        f"{gib}|Station, read-back": (target, partial(station, rb, [target])),
                        f"{gib}|Station, stream check only": (
                            target,
                            partial(station, st, [target]),
                        ),
                        f"{gib}|Station, after a zero-verified wipe (read-back)": (
                            target,
                            partial(station, rb, [target], zeros=True),
                        ),
                        f"{gib}|Station, stream check, image without seek table": (
                            target,
                            partial(station, old, [target]),
                        ),
                        f"{gib}|bmaptool copy": (target, partial(bmaptool, image, target)),
                    }
                for key, values in measure(loops, sized, args.runs, log).items():
                    gib_text, name = key.split("|", 1)
                    size_times.setdefault(int(gib_text), {})[name] = values

            batch_times: dict[tuple[str, bool], tuple[list[float], list[float]]] = {}
            skipped: dict[str, str] = {}
            throttled_by = ""
            limits = (args.throttle_write_mbps, args.throttle_read_mbps)
            if "batch" in args.only:
                for backing in args.batch_on:
                    hierarchy = find_hierarchy() if backing == "throttled" else None
                    if isinstance(hierarchy, str):
                        skipped[backing] = hierarchy
                        log(f"{backing} batch skipped: {hierarchy}")
                        continue
                    where = disk_dir
                    if backing != "disk":
                        where = Path(tempfile.mkdtemp(prefix="station-bench-", dir=args.ram_dir))
                    throttle: Throttle | None = None
                    try:
                        devices = [loops.make(2 * GIB, where, f"batch{n}") for n in range(3)]
                        facts_devices[f"{backing} batch targets"] = loops.made[devices[0]]
                        if hierarchy is not None:
                            for device in devices:
                                loops.check(device)  # only our own loop devices get limits
                            throttle = Throttle(hierarchy, devices, *(m * MB for m in limits))
                            throttled_by = hierarchy.files
                        around = throttle.inside if throttle else nullcontext
                        for zeros in (False, True):
                            batch_times[(backing, zeros)] = batch(
                                loops, devices, readback, zeros, args.runs, backing, log, around
                            )
                        if throttle and throttle.bytes_counted() == 0:
                            raise RuntimeError("the throttling cgroup counted no I/O: not applied")
                    finally:
                        if throttle:
                            throttle.close()
                        for device in [d for d in loops.made if loops.made[d].parent == where]:
                            loops.drop(device)
                        if where != disk_dir:
                            shutil.rmtree(where, ignore_errors=True)
            facts = machine_facts(loops, facts_devices, workdir)
            if throttled_by:
                facts.append(
                    f"`throttled` targets: tmpfs loop devices, each limited on its own to "
                    f"{limits[0]} MB/s write and {limits[1]} MB/s read ({throttled_by})"
                )
        finally:
            loops.close()
    loads.append(os.getloadavg()[0])
    command = " ".join([".venv/bin/python", "bench/deploy.py", *sys.argv[1:]])
    return render(
        Run(args.runs, args.data_mib, command, facts, loads, limits, skipped),
        images,
        tool_times,
        size_times,
        batch_times,
    )


def batch(
    loops: Loops,
    devices: list[str],
    profile: tuple[Any, Path],
    zeros: bool,
    runs: int,
    backing: str,
    log: Callable[[str], None],
    around: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> tuple[list[float], list[float]]:
    """3 targets at once and 1 alone, alternating which goes first; every target reset.

    `around` wraps each timed deploy only (the throttling cgroup), not the resets.
    """
    several: list[float] = []
    single: list[float] = []
    for round_no in range(runs):
        order = [True, False] if round_no % 2 == 0 else [False, True]
        for together in order:
            for device in devices:
                loops.reset(device)
            chosen = devices if together else devices[:1]
            with around():
                seconds = timed(partial(station, profile, chosen, zeros=zeros))
            (several if together else single).append(seconds)
        log(
            f"run {round_no + 1} ({backing}, {'zero-verified' if zeros else 'holes zeroed'}): "
            f"batch of 3 {several[-1]:.2f} s, single {single[-1]:.2f} s"
        )
    return several, single


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-doc", type=Path, help="replace the deploy section of FILE")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data-mib", type=int, default=600)
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[2, 8], help="disk sizes (GiB) for table 2"
    )
    parser.add_argument(
        "--batch-on",
        nargs="+",
        choices=sorted(BACKINGS),
        default=["throttled", "ram", "disk"],
        help="where the batch targets' backing files live (ram: --ram-dir, disk: --workdir; "
        "throttled: --ram-dir, each loop device limited to a SATA SSD's speed)",
    )
    parser.add_argument("--throttle-write-mbps", type=int, default=500, help="MB/s per target")
    parser.add_argument("--throttle-read-mbps", type=int, default=550, help="MB/s per target")
    parser.add_argument("--ram-dir", type=Path, default=Path("/dev/shm"))
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["tools", "sizes", "batch"],
        default=["tools", "sizes", "batch"],
    )
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
        import perf_doc

        perf_doc.write_section(args.write_doc, section.rstrip("\n"), BEGIN, END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
