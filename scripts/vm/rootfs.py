"""Build (once) and cache the VM tier's kernel and root filesystem.

The root filesystem is a Debian 12 `mmdebstrap --variant=minbase` tree with udev, python3
and the drive tools Station runs, plus Station's Python dependencies installed for the
same CPython 3.11 ABI, plus the Debian kernel's modules for the emulated buses. It is
packed as an *uncompressed* cpio initramfs (compressed ones boot twice as slowly under
TCG, docs/testing.md). Station's own code is NOT in it: it is appended per boot as a second
small cpio (see overlay.py), so editing Station never rebuilds this cache.

The cache lives outside the repository, keyed by a hash of every input:
    /var/cache/station-vm/<hash>/{vmlinuz, rootfs.cpio, manifest.json}
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE_ROOT = Path(os.environ.get("STATION_VM_CACHE", "/var/cache/station-vm"))
SUITE = "bookworm"
MIRRORS = [
    f"deb http://deb.debian.org/debian {SUITE} main",
    f"deb http://deb.debian.org/debian {SUITE}-updates main",
    f"deb http://deb.debian.org/debian-security {SUITE}-security main",
]
PACKAGES = [
    "udev",
    "kmod",
    "python3",
    "smartmontools",
    "hdparm",
    "nvme-cli",
    "util-linux",
    "e2fsprogs",
    "dosfstools",
    "dmsetup",
    "procps",
    # the functional tests (docs/functional-tests.md): memory, sound, Wi-Fi, camera
    "memtester",
    "alsa-utils",
    "iw",
    "v4l-utils",
    # the machine's firmware identity (SMBIOS) that names its fiche: `station tui` runs
    # on the VM's console (tests/vm/test_functions_keyboard.py)
    "dmidecode",
    # the fiche and certificates the screen writes (fpdf2 embeds DejaVu)
    "fonts-dejavu-core",
    # the classroom tier (docs/classroom.md): a network-booted laptop configures its link
    # (busybox's udhcpc, iproute2), receives the multicast stream (udpcast), and its
    # deploy reads the partition table (sfdisk)
    "iproute2",
    "busybox",
    "udpcast",
    "fdisk",
]
# Modules for the emulated buses and the filesystems the tests use; their dependencies
# are added from modules.dep. Names are normalised ('-' and '_' are the same to modprobe).
MODULES = [
    # QEMU's intel-hda + hda-duplex sound card, and its USB keyboard
    "snd_hda_intel",
    "snd_hda_codec_generic",
    "usbhid",
    "hid_generic",
    # the keyboard's event node (/dev/input/eventN): the payload counts real key presses
    "evdev",
    "ahci",
    "libahci",
    "libata",
    "sd_mod",
    "scsi_mod",
    "sg",
    "nvme",
    "nvme_core",
    "xhci_pci",
    "xhci_hcd",
    "usb_storage",
    "uas",
    "virtio_blk",
    "virtio_pci",
    "virtio_ring",
    "virtio",
    "dm_mod",
    "ext4",
    "crc32c_generic",
    "crc32c_intel",
    "vfat",
    "fat",
    "nls_cp437",
    "nls_ascii",
    "nls_iso8859_1",
    "nls_utf8",
    "loop",
    # the classroom tier's network card
    "virtio_net",
]
INIT = Path(__file__).with_name("init.sh")
# Trimmed from the tree: nothing the tests run reads them, and every MiB costs boot time.
TRIM = [
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "var/cache/apt",
    "var/lib/apt/lists",
    "usr/share/lintian",
    "usr/share/zoneinfo",
    # perl comes with a tool's dependencies, gconv is glibc's iconv, pip with sqlite-utils:
    # nothing in the VM uses them.
    "usr/share/perl",
    "usr/lib/x86_64-linux-gnu/perl",
    "usr/lib/x86_64-linux-gnu/gconv",
    "opt/station-deps/pip",
    "opt/station-deps/bin",
]


@dataclass(frozen=True)
class BuiltRootfs:
    directory: Path
    kernel: Path
    initrd: Path
    kernel_version: str


def log(message: str) -> None:
    print(f"[build-rootfs] {message}", file=sys.stderr, flush=True)


def run(argv: list[str], *, check: bool = True, cwd: Path | None = None) -> str:
    return subprocess.run(argv, check=check, capture_output=True, text=True, cwd=cwd).stdout


def missing_tools() -> list[str]:
    needed = ["mmdebstrap", "cpio", "apt-get", "apt-cache", "dpkg-deb"]
    return [tool for tool in needed if shutil.which(tool) is None]


def python_dependencies() -> list[str]:
    """Station's runtime dependencies, read from pyproject.toml (one source of truth)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return sorted(project["dependencies"])


def kernel_package() -> tuple[str, str]:
    """The versioned package behind linux-image-amd64, and its candidate version."""
    depends = run(["apt-cache", "depends", "linux-image-amd64"], check=False)
    match = re.search(r"Depends:\s*(linux-image-\S+-amd64)", depends)
    if not match and os.geteuid() == 0:
        # A fresh machine (CI container) may have no package lists yet.
        run(["apt-get", "update", "-qq"])
        depends = run(["apt-cache", "depends", "linux-image-amd64"])
        match = re.search(r"Depends:\s*(linux-image-\S+-amd64)", depends)
    if not match:
        raise RuntimeError(f"cannot resolve linux-image-amd64:\n{depends}")
    name = match.group(1)
    show = run(["apt-cache", "show", "--no-all-versions", name])
    version = re.search(r"^Version:\s*(\S+)", show, re.MULTILINE)
    if not version:
        raise RuntimeError(f"no version for {name}")
    return name, version.group(1)


def inputs_key() -> tuple[str, dict[str, object]]:
    kernel_name, kernel_version = kernel_package()
    inputs: dict[str, object] = {
        "suite": SUITE,
        "mirrors": MIRRORS,
        "packages": PACKAGES,
        "modules": MODULES,
        "kernel": [kernel_name, kernel_version],
        "python_deps": python_dependencies(),
        "builder": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
        "init": hashlib.sha256(INIT.read_bytes()).hexdigest(),
    }
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]
    return digest, inputs


def cached(key: str) -> BuiltRootfs | None:
    directory = CACHE_ROOT / key
    manifest = directory / "manifest.json"
    if not manifest.is_file():
        return None
    data = json.loads(manifest.read_text())
    os.utime(directory)  # in use: prune() keeps it
    return BuiltRootfs(
        directory, directory / "vmlinuz", directory / "rootfs.cpio", data["kernel_version"]
    )


def fetch_kernel(rootfs: Path, name: str) -> Path:
    """Unpack the Debian kernel package (downloaded, never installed) inside the chroot,
    whose depmod then indexes it (the host need not have kmod)."""
    debs = CACHE_ROOT / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob(f"{name}_*.deb"))
    if not found:
        log(f"apt-get download {name}")
        run(["apt-get", "download", name], cwd=debs)
        found = sorted(debs.glob(f"{name}_*.deb"))
    target = rootfs / "tmp/kernel-package"
    run(["dpkg-deb", "-x", str(found[-1]), str(target)])
    return target


def module_closure(moddir: Path, wanted: list[str]) -> set[str]:
    """Relative paths of the wanted modules and everything they depend on."""
    deps: dict[str, list[str]] = {}
    by_name: dict[str, str] = {}
    for line in (moddir / "modules.dep").read_text().splitlines():
        path, _, rest = line.partition(":")
        deps[path] = rest.split()
        name = Path(path).name.split(".ko")[0].replace("-", "_")
        by_name[name] = path
    chosen: set[str] = set()
    pending = [by_name[name] for name in wanted if name in by_name]
    while pending:
        path = pending.pop()
        if path not in chosen:
            chosen.add(path)
            pending.extend(deps.get(path, []))
    return chosen


def install_modules(kernel_tree: Path, rootfs: Path) -> str:
    versions = sorted(p.name for p in (kernel_tree / "lib/modules").iterdir())
    version = versions[-1]
    source = kernel_tree / "lib/modules" / version
    # The package ships no modules.dep (its postinst makes it): index the unpacked tree
    # with the chroot's depmod (the host need not have kmod), then again for the subset.
    run(
        ["chroot", str(rootfs), "depmod", "-b", "/" + str(kernel_tree.relative_to(rootfs)), version]
    )
    target = rootfs / "usr/lib/modules" / version
    target.mkdir(parents=True)
    for rel in module_closure(source, MODULES):
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, target / rel)
    for meta in ("modules.order", "modules.builtin", "modules.builtin.modinfo"):
        if (source / meta).exists():
            shutil.copy2(source / meta, target / meta)
    run(["chroot", str(rootfs), "depmod", "-a", version])
    return version


def install_python_deps(rootfs: Path) -> None:
    """Station's dependencies for cp311 (Debian's python3-pydantic is v1: not usable)."""
    target = rootfs / "opt/station-deps"
    # The host venv is CPython 3.11 on the same Debian: its wheels fit the VM's python3.
    pip = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-warn-script-location",
        "--disable-pip-version-check",
        "--target",
        str(target),
    ]
    log("pip install --target /opt/station-deps")
    run([*pip, *python_dependencies()])
    # Compile here: the VM's python3 is 3.11 too (same bytecode), and compiling under TCG
    # would cost seconds at every boot.
    run([sys.executable, "-m", "compileall", "-q", "-j", "2", str(target)])


def pack_cpio(tree: Path, output: Path) -> None:
    """newc cpio, uncompressed; sorted so the same tree gives the same archive."""
    files = run(["find", ".", "-mindepth", "1"], cwd=tree).splitlines()
    listing = "\0".join(sorted(files)) + "\0"
    with output.open("wb") as handle:
        subprocess.run(
            ["cpio", "--null", "--quiet", "-o", "-H", "newc"],
            input=listing.encode(),
            stdout=handle,
            cwd=tree,
            check=True,
        )


def build(key: str, inputs: dict[str, object]) -> BuiltRootfs:
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE_ROOT, prefix="build-") as tmp:
        work = Path(tmp)
        rootfs = work / "rootfs"
        log(f"mmdebstrap {SUITE} minbase ({len(PACKAGES)} packages)")
        subprocess.run(
            [
                "mmdebstrap",
                "--variant=minbase",
                "--mode=root",
                "--quiet",
                '--aptopt=APT::Install-Recommends "false"',
                f"--include={','.join(PACKAGES)}",
                SUITE,
                str(rootfs),
                *MIRRORS,
            ],
            check=True,
            stdin=subprocess.DEVNULL,
        )
        kernel_name = str(inputs["kernel"][0])  # type: ignore[index]
        kernel_tree = fetch_kernel(rootfs, kernel_name)
        version = install_modules(kernel_tree, rootfs)
        install_python_deps(rootfs)
        for rel in TRIM:
            shutil.rmtree(rootfs / rel, ignore_errors=True)
        shutil.copy2(INIT, rootfs / "init")
        (rootfs / "init").chmod(0o755)
        out = work / "out"
        out.mkdir()
        shutil.copy2(kernel_tree / "boot" / f"vmlinuz-{version}", out / "vmlinuz")
        shutil.rmtree(kernel_tree)
        log("packing rootfs.cpio")
        pack_cpio(rootfs, out / "rootfs.cpio")
        manifest = {"key": key, "inputs": inputs, "kernel_version": version}
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        final = CACHE_ROOT / key
        if final.exists():  # another run finished first: keep theirs
            return cached(key)  # type: ignore[return-value]
        out.rename(final)
    log(f"cached in {final}")
    prune(keep=key)
    return cached(key)  # type: ignore[return-value]


# Another worktree on the same machine may still boot the build of other inputs: a build
# is only dropped once nobody made or used it for this long.
PRUNE_AFTER_S = 24 * 3600


def prune(keep: str) -> None:
    """Drop the builds of older inputs (each is ~300 MB) unused for a day; the kernel
    .debs stay."""
    now = time.time()
    for entry in CACHE_ROOT.iterdir():
        if entry.name in (keep, "debs") or entry.name.startswith("build-"):
            continue
        if now - entry.stat().st_mtime > PRUNE_AFTER_S:
            shutil.rmtree(entry, ignore_errors=True)


def ensure_rootfs(*, rebuild: bool = False) -> BuiltRootfs:
    """The cached kernel and rootfs for the current inputs, built when missing."""
    key, inputs = inputs_key()
    found = None if rebuild else cached(key)
    if found is not None:
        return found
    if rebuild and (CACHE_ROOT / key).exists():
        shutil.rmtree(CACHE_ROOT / key)
    return build(key, inputs)


def main(argv: list[str]) -> int:
    if os.geteuid() != 0:
        print("build-rootfs: needs root (mmdebstrap --mode=root, chroot depmod)", file=sys.stderr)
        return 2
    missing = missing_tools()
    if missing:
        print(f"build-rootfs: missing tools: {' '.join(missing)}", file=sys.stderr)
        return 2
    built = ensure_rootfs(rebuild="--rebuild" in argv)
    print(
        json.dumps(
            {
                "kernel": str(built.kernel),
                "initrd": str(built.initrd),
                "kernel_version": built.kernel_version,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
