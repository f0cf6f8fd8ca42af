"""What one live boot does, host side: write the stick image, power on, read tty1, drive
Station with keys, and collect everything the tests check into one dict (`Seen`)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import MIB, NVME, SATA, blocks_with_old_data
from livevm import INVENTORY_IP, LIVE_BENCH, STICK_SERIAL, LiveVM, make_live_vm, user_network

REPO = Path(__file__).resolve().parents[2]
PASSWORD = os.environ.get("STATION_SUPERVISOR_PASSWORD", "formateur")
DATA_MIB = 320
OPERATOR = "stagiaire-01"  # from scripts/live/banc-exemple.yaml, copied by write-stick
FINAL_STATES = re.compile(r"terminé|échec|Échec|arrêté")
DASHBOARD_RE = r"@@STATION-LIVE dashboard uptime=([0-9.]+)"

Seen = dict[str, Any]


INVENTORY_URL = f"http://{INVENTORY_IP}"  # the host's inventory, through QEMU's guestfwd


def bench_profile_with_inventory(workdir: Path) -> Path:
    """The example bench profile, syncing to the inventory the test VM can reach."""
    text = (REPO / "scripts/live/banc-exemple.yaml").read_text()
    profile = workdir / "banc.yaml"
    profile.write_text(text.replace("inventory_url: null", f"inventory_url: {INVENTORY_URL}"))
    assert INVENTORY_URL in profile.read_text()
    return profile


def write_stick_image(iso: Path, stick: Path, bench_profile: Path | None = None) -> int:
    """The stick as a user makes it (scripts/live/write-stick); returns the data offset."""
    total_mib = -(-iso.stat().st_size // MIB) + DATA_MIB
    argv = [str(REPO / "scripts/live/write-stick"), str(iso), str(stick), "--size", str(total_mib)]
    if bench_profile is not None:
        argv += ["--bench-profile", str(bench_profile)]
    subprocess.run(
        argv,
        check=True,
        capture_output=True,
        text=True,
    )
    return -(-iso.stat().st_size // MIB) * MIB


def row_text(screen: str, serial: str) -> str:
    """One dashboard row: model, size and state on the line above the serial's line."""
    lines = screen.splitlines()
    index = next((i for i, line in enumerate(lines) if serial in line), None)
    if index is None:
        return ""
    return " ".join(lines[max(index - 1, 0) : index + 1])


def wait_screen(vm: LiveVM, ready: Callable[[str], bool], timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        text = vm.screen()
        if ready(text) or time.monotonic() > deadline:
            return text
        time.sleep(5)


def reach_station(vm: LiveVM, seen: Seen, prefix: str, since: int = 0) -> None:
    """Wait for Station's first screen on tty1 (the image reports it on the console)."""
    assert vm.console is not None
    match = vm.console.wait_for(DASHBOARD_RE, 900, since)
    seen[f"{prefix}boot_s"] = round(vm.seconds(), 1)
    seen[f"{prefix}uptime_s"] = float(match.group(1))
    vm.console.login("root", PASSWORD)
    seen[f"{prefix}screen"] = vm.screen()
    seen[f"{prefix}env"] = vm.console.run("cat /run/station/env")[1]


def look_around(vm: LiveVM, seen: Seen) -> None:
    assert vm.console is not None
    seen["cmdline"] = vm.console.run("cat /proc/cmdline")[1]
    rc, out = vm.console.run("station disks --json 2>/dev/null", timeout_s=300)
    seen["disks_rc"] = rc
    seen["disks"] = json.loads(out[out.find("[") :] if "[" in out else "null")
    seen["efi"] = vm.console.run("test -d /sys/firmware/efi")[0] == 0
    rc, out = vm.console.run(
        "od -An -tu1 /sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
    )
    seen["secure_boot"] = rc == 0 and out.split()[-1:] == ["1"]
    # Where the boot time goes (kept in seen.json for docs/live-image.md, never asserted).
    seen["boot_blame"] = vm.console.run(
        "systemd-analyze 2>&1 | head -3; systemd-analyze blame 2>&1 | head -12", timeout_s=120
    )[1]
    seen["mounts"] = vm.console.run("grep -E 'station-data|/run/live/medium' /proc/mounts")[1]
    seen.update(startup_split(seen["boot_blame"]))
    # The supervisor's tty2: a login prompt (Ctrl+Alt+F2 = chvt 2), then back to Station.
    seen["tty2"] = vm.console.run(
        "chvt 2; sleep 5; tr -s ' ' < /dev/vcs2; echo; chvt 1; "
        "systemctl --failed --no-legend --plain | grep getty || echo no-failed-getty",
        timeout_s=120,
    )[1]
    # Where the rest goes: pauses > 3 s in the boot's log, and when live-boot's
    # initramfs finished (it copies boot.log into the root last) after the kernel started.
    seen["network"] = vm.console.run(
        "for i in $(seq 60); do ip -4 addr | grep -q 'inet 10\\.' && break; sleep 1; done; "
        "networkctl --no-pager list; ip -brief addr; ip route",
        timeout_s=120,
    )[1]
    seen["console_font"] = vm.console.run(
        "cat /run/station/console-font; cat /sys/class/graphics/fb0/virtual_size"
    )[1]
    seen["initramfs_marks"] = vm.console.run("journalctl -k -b --no-pager | grep 'station: '")[1]
    # The silent pause (issue 20): from the initramfs handing over to systemd's first line.
    seen["init_handover"] = vm.console.run(
        "journalctl -b -o short-monotonic --no-pager | grep -iE "
        "'crng|station: initramfs|tomoyo|Run /init|autofs4|systemd 25[0-9] running' | head -12"
    )[1]
    seen["boot_gaps"] = vm.console.run(
        "journalctl -b -o short-monotonic --no-pager | awk -F'[][]' "
        '\'{t=$2+0; if (t-p>3) print int(t-p) "s pause after: " substr(l,1,120) '
        '"\\n   until: " substr($0,1,120); p=t; l=$0}\'; '
        "b=$(awk '/^btime/{print $2}' /proc/stat); "
        'echo "live-boot done at +$(( $(stat -c %Y /var/log/live/boot.log) - b )) s"',
        timeout_s=120,
    )[1]


def id_rows(vm: LiveVM) -> dict[str, str]:
    """The login list's rows on tty1: text -> digest of the row's colours (/dev/vcsa1:
    the attributes the console really shows, not what Textual meant to draw)."""
    assert vm.console is not None
    out = vm.console.run("station-console --colours stagiaire-0")[1]
    rows = {}
    for line in out.splitlines():
        # "│ │ stagiaire-01      │ │ a6a198b7acd4": the id between the list's borders.
        found = re.search(r"(stagiaire-0\d)\b.* ([0-9a-f]{12})$", line)
        if found:
            rows[found.group(1)] = found.group(2)
    return rows


def highlight_check(vm: LiveVM, seen: Seen) -> None:
    """Screendumps of the login list before and after the Down arrow (issue 20: on the
    Linux console the chosen line never changed a pixel)."""
    seen["ids_before_arrow"] = id_rows(vm)
    vm.send_keys(["down"])
    time.sleep(3)
    seen["ids_after_arrow"] = id_rows(vm)


def enrol_on_the_inventory(vm: LiveVM, seen: Seen, approve: Callable[[str], str]) -> None:
    """The supervisor's once-per-bench step: present the key, approve it at the server."""
    assert vm.console is not None
    seen["enrol"] = vm.console.run(
        ". /run/station/env; export STATION_DATA_DIR; "
        f"station enrol --server {INVENTORY_URL} --name live-{seen['firmware']}",
        timeout_s=300,
    )[1]
    # `station enrol` speaks the stick's language: « banc bench-… » on a French bench.
    found = re.search(r"(?:bench|banc) (bench-[0-9a-f]+)", seen["enrol"])
    if found:
        seen["approved"] = approve(found.group(1))


def startup_split(analyze: str) -> dict[str, float]:
    """kernel_s (kernel + live-boot's initramfs) and userspace_s from `systemd-analyze`."""
    span = r"((?:[0-9.]+(?:min|ms|s) ?)+)"
    match = re.search(rf"{span} \(kernel\) \+ {span} \(userspace\)", analyze)
    if not match:
        return {}
    return {"kernel_s": seconds_of(match.group(1)), "userspace_s": seconds_of(match.group(2))}


def seconds_of(span: str) -> float:
    """'1min 1.596s' or '33.724s' or '812ms' -> seconds."""
    total = 0.0
    for value, unit in re.findall(r"([0-9.]+)(min|ms|s)", span):
        total += float(value) * {"min": 60, "s": 1, "ms": 0.001}[unit]
    return round(total, 1)


def wipe_through_tui(vm: LiveVM, seen: Seen) -> None:
    """Identify as a trainee, select the SATA disk, R, type its serial's last 4 chars."""
    vm.type_tty1(OPERATOR + "\n")
    board = wait_screen(vm, lambda s: SATA.serial in s and NVME.serial in s, 300)
    seen["dashboard"] = board
    seen["dashboard_s"] = round(vm.seconds(), 1)
    rows = [line for line in board.splitlines() if "STN-" in line]
    seen["rows"] = rows
    if not erase_from_dashboard(vm, seen, rows, SATA.serial, ("", "after_wipe", "wipe_s")):
        return
    # The NVMe is purged next: what the SATA wipe left on it is noted now.
    seen["nvme_old_blocks_after_sata"] = len(blocks_with_old_data(vm.images["nvme"]))
    assert vm.console is not None
    # The job is over: its checkpoint folded the WAL into journal.sqlite3, so that file
    # copied alone (no -wal beside it) already holds the job's records.
    seen["journal_alone_after_job"] = vm.console.run(
        "sleep 3; ls -l /srv/station-data/; cp /srv/station-data/journal.sqlite3 /tmp/alone.db; "
        "python3 -c \"import sqlite3; print('kinds:', sorted({k for (k,) in sqlite3.connect("
        "'/tmp/alone.db').execute('select kind from records')}))\""
    )[1]


def erase_from_dashboard(
    vm: LiveVM, seen: Seen, rows: list[str], serial: str, keys: tuple[str, str, str]
) -> bool:
    """Select the row of `serial`, R, check the dialog names it, type its last 4 chars,
    and wait for the row's final state. `keys`: the prefix of the confirmation screen's
    key, the keys of the dashboard after the job and of the job's seconds in `seen`.
    False if it never got that far."""
    prefix, after_key, seconds_key = keys
    if not start_erase(vm, seen, rows, serial, prefix):
        return False
    started = time.monotonic()
    seen[after_key] = wait_screen(
        vm, lambda s: bool(FINAL_STATES.search(row_text(s, serial))), 1200
    )
    seen[seconds_key] = round(time.monotonic() - started, 1)
    return True


def start_erase(vm: LiveVM, seen: Seen, rows: list[str], serial: str, prefix: str) -> bool:
    """Select the row of `serial`, R, check the dialog names it, type its last 4 chars
    (the job then runs); False if the dialog never named it."""
    row = next((i for i, line in enumerate(rows) if serial in line), None)
    if row is None:
        return False
    vm.send_keys(["home"] + ["down"] * row)
    # The cursor's row is not visible in text: check the dialog names the disk before
    # typing (the two disks' serials end in 0001 alike), else move on and ask again.
    for _attempt in range(len(rows)):
        vm.type_tty1("r")
        confirm = wait_screen(vm, lambda s: "Reconditionner ce disque" in s, 60)
        seen[f"{prefix}confirm_screen"] = confirm
        if serial in confirm:
            break
        vm.send_keys(["esc", "down"])
    else:
        return False
    vm.type_tty1(serial[-4:] + "\n")
    return True


def purge_nvme_through_tui(vm: LiveVM, seen: Seen) -> None:
    """Issue 13: the shipped bench profile purges an NVMe with the drive's own command
    (QEMU's NVMe does Format NVM with Secure Erase Settings = user data erase). Erase it
    from tty1 like the SATA disk, then read back its records from the journal."""
    board = vm.screen()
    rows = [line for line in board.splitlines() if "STN-" in line]
    if not erase_from_dashboard(
        vm, seen, rows, NVME.serial, ("nvme_", "after_nvme_purge", "nvme_purge_s")
    ):
        return
    assert vm.console is not None
    # Each record's kind and result (or technique), newest last, decoded in the guest.
    seen["nvme_records"] = vm.console.run(
        'sleep 3; python3 -c "import sqlite3,json,base64; '
        "c=sqlite3.connect('/srv/station-data/journal.sqlite3'); "
        "rows=[(k,json.loads(base64.b64decode(json.loads(e)['payload']+'=='))) "
        "for k,e in c.execute('select kind, envelope from records order by seq')]; "
        "[print('REC', k, p.get('result'), p.get('technique'), p.get('method')) "
        f"for k,p in rows if '{NVME.serial}' in json.dumps(p)]\""
    )[1]


def reboot_and_read_journal(vm: LiveVM, seen: Seen) -> None:
    assert vm.console is not None
    since = vm.console.mark()
    vm.started_at = time.monotonic()  # reboot_boot_s: from `reboot` to Station again
    vm.console.type("sync; reboot\n")
    reach_station(vm, seen, "reboot_", since)
    # Records are signed envelopes whose payload is base64 JSON: decode, then look.
    seen["journal_after_reboot"] = vm.console.run(
        'ls -l /srv/station-data /srv/station-data/keys; python3 -c "import sqlite3,json,base64; '
        "c=sqlite3.connect('/srv/station-data/journal.sqlite3'); "
        "print(sorted(k for k,e in c.execute('select kind, envelope from records') "
        "if 'STN-SATA-0001' in base64.b64decode(json.loads(e)['payload']+'==').decode()))\""
    )[1]


def host_journal_kinds(stick: Path, offset: int, workdir: Path) -> list[str]:
    """Read the journal off the stick's FAT partition from the host, like another PC."""

    out = workdir / "from-stick"
    out.mkdir(exist_ok=True)
    listing = subprocess.run(
        ["mdir", "-b", "-i", f"{stick}@@{offset}", "::/"], capture_output=True, text=True
    ).stdout
    # journal.sqlite3 alone, as LISEZMOI.txt tells a person copying it to a PC: after a
    # clean power-off (the WAL checkpointed at shutdown) it must hold every record.
    if "journal.sqlite3" not in [name.rsplit("/", 1)[-1] for name in listing.split()]:
        return []
    path = out / "journal.sqlite3"
    subprocess.run(
        ["mcopy", "-o", "-n", "-i", f"{stick}@@{offset}", "::journal.sqlite3", str(path)],
        check=True,
    )
    return record_kinds_for(path, SATA.serial)


def record_kinds_for(journal: Path, serial: str) -> list[str]:
    """Kinds of the journal's records whose signed payload names `serial`."""
    import base64
    import sqlite3

    db = sqlite3.connect(journal)
    kinds = []
    for kind, envelope in db.execute("select kind, envelope from records"):
        payload = base64.b64decode(json.loads(envelope)["payload"] + "==").decode()
        if serial in payload:
            kinds.append(kind)
    db.close()
    return sorted(kinds)


def choose_toram(vm: LiveVM, window_s: float = 45) -> None:
    """Press T (the toram entry's hotkey in grub) three times a second (the menu waits
    1 s) until the menu has surely come and gone: keys sent during the firmware are
    harmless or buffered, and grub boots a hotkey's entry at once. /proc/cmdline tells
    afterwards what booted."""
    deadline = time.monotonic() + window_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):  # QMP socket not up yet
            vm.send_keys(["t"], pause_s=0)
        time.sleep(0.3)


def disks_json(vm: LiveVM) -> Any:
    assert vm.console is not None
    out = vm.console.run("station disks --json 2>/dev/null", timeout_s=300)[1]
    return json.loads(out[out.find("[") :] if "[" in out else "null")


def pull_stick_and_look(vm: LiveVM, seen: Seen) -> None:
    """After a toram boot: pull the stick, then see what still works and what Station
    says when it must write a record to the data partition that went with the stick."""
    assert vm.console is not None
    seen["disks_before_pull"] = disks_json(vm)
    vm.pull_stick()
    seen["pulled_s"] = round(vm.seconds(), 1)
    seen["gone"] = vm.console.run(
        '. /run/station/env; for i in $(seq 60); do [ -e "$STATION_DATA_DEVICE" ] || break; '
        'sleep 1; done; [ ! -e "$STATION_DATA_DEVICE" ] && echo gone',
        timeout_s=120,
    )[1]
    time.sleep(10)  # let the TUI see the stick leave (udev remove event)
    seen["screen_after_pull"] = vm.screen()
    seen["disks_after_pull"] = disks_json(vm)
    seen["mounts_after_pull"] = vm.console.run("grep -E 'station-data|/run/live' /proc/mounts")[1]
    # A record Station must write now: SMART check of the SATA disk, into the journal
    # on the (gone) data partition, as the bench would.
    sata = next(
        (
            d["identity"]["path"]
            for d in seen["disks_before_pull"] or []
            if d["identity"].get("serial") == SATA.serial
        ),
        "/dev/sda",
    )
    seen["record_after_pull"] = vm.console.run(
        ". /run/station/env; export STATION_DATA_DIR; "
        f"station smart {sata} --operator {OPERATOR} --lang fr > /tmp/smart.out 2>&1; "
        "echo smart_rc=$?; tail -5 /tmp/smart.out",
        timeout_s=300,
    )[1]
    seen["dmesg_after_pull"] = vm.console.run("dmesg | grep -iE 'fat|sdb|usb 2-' | tail -8")[1]
    time.sleep(5)
    seen["screen_after_record"] = vm.screen()


def stick_back_then_pulled_mid_erase(vm: LiveVM, seen: Seen) -> None:
    """Issue 20, after pull_stick_and_look: put the stick back (Station mounts it again,
    the banner goes); erase the SATA disk and pull the stick mid-erase (the disk pauses,
    « en pause : clé retirée »); put it back: the held records are written on the stick,
    the disk ends on its true state, and the chain checks."""
    assert vm.console is not None
    vm.plug_stick()
    board = wait_screen(vm, lambda s: "Clé Station retirée" not in s, 120)
    seen["screen_after_plug"] = board
    seen["env_after_plug"] = vm.console.run("cat /run/station/env; grep station-data /proc/mounts")[
        1
    ]
    rows = [line for line in board.splitlines() if "STN-" in line]
    # 268 MB erased unthrottled can be done before the screen, read over the serial
    # console under TCG, shows it running (the 03:15 ISO's run pulled it too late):
    # 2 MB/s keeps the overwrite running for about two minutes.
    vm.throttle_writes(SATA.role, 2 * MIB)
    if not start_erase(vm, seen, rows, SATA.serial, "pause_"):
        return
    seen["screen_erasing"] = wait_screen(
        vm, lambda s: bool(re.search(r"test SMART|effacement", row_text(s, SATA.serial))), 120
    )
    vm.pull_stick()
    seen["screen_paused"] = wait_screen(
        vm,
        lambda s: (
            "en pause" in row_text(s, SATA.serial)
            or bool(FINAL_STATES.search(row_text(s, SATA.serial)))
        ),
        600,
    )
    vm.plug_stick()
    seen["screen_after_return"] = wait_screen(
        vm,
        lambda s: (
            "Clé Station retirée" not in s and bool(FINAL_STATES.search(row_text(s, SATA.serial)))
        ),
        300,
    )
    seen["journal_after_return"] = vm.console.run(
        ". /run/station/env; export STATION_DATA_DIR; station journal check 2>&1; "
        "echo check_rc=$?; python3 -c \"import sqlite3; print('kinds:', [k for (k,) in "
        "sqlite3.connect('/srv/station-data/journal.sqlite3').execute("
        "'select kind from records order by seq')])\"",
        timeout_s=300,
    )[1]


def wait_for_records(vm: LiveVM, seen: Seen, inventory: Inventory) -> None:
    """The wipe's records reach the server over the VM's network (the pusher is woken at
    the end of the job); then the dashboard's badge is read."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        seen["server_kinds"] = inventory.kinds(SATA.serial)
        if "verification" in seen["server_kinds"]:
            break
        time.sleep(5)
    seen["badge_after_sync"] = vm.screen()


def drive(vm: LiveVM, seen: Seen, workdir: Path, steps: Callable[[LiveVM, Seen], None]) -> None:
    """Power on, run the steps, power off from inside; a failure is kept in seen."""
    vm.power_on()
    try:
        steps(vm, seen)
        seen["qemu_rc"] = vm.shutdown()
    except BaseException as error:
        seen["error"] = f"{type(error).__name__}: {error}"
        vm.stop()
    finally:
        (workdir / "seen.json").write_text(json.dumps(seen, indent=2, ensure_ascii=False))


def toram_steps(vm: LiveVM, seen: Seen) -> None:
    choose_toram(vm)
    reach_station(vm, seen, "")
    assert vm.console is not None
    seen["cmdline"] = vm.console.run("cat /proc/cmdline")[1]
    seen["mounts"] = vm.console.run("grep -E 'station-data|/run/live' /proc/mounts")[1]
    # On the dashboard (this machine has no network card: the badge says so).
    vm.type_tty1(OPERATOR + "\n")
    seen["dashboard"] = wait_screen(vm, lambda s: SATA.serial in s and "attente" in s, 300)
    pull_stick_and_look(vm, seen)
    stick_back_then_pulled_mid_erase(vm, seen)


def run_toram_boot(workdir: Path, iso: Path) -> tuple[LiveVM, Seen]:
    """The toram menu entry (UEFI, Secure Boot), then the stick pulled once booted."""
    stick = workdir / "stick.img"
    offset = write_stick_image(iso, stick, bench_profile_with_inventory(workdir))
    seen: Seen = {"firmware": "uefi-toram", "stick_serial": STICK_SERIAL}
    vm = make_live_vm(workdir, stick, "uefi", LIVE_BENCH)
    drive(vm, seen, workdir, toram_steps)
    if "qemu_rc" in seen:
        # The stick pulled mid-erase and put back: its journal, read by another PC.
        seen["host_toram_kinds"] = host_journal_kinds(stick, offset, workdir)
        (workdir / "seen.json").write_text(json.dumps(seen, indent=2, ensure_ascii=False))
    return vm, seen


@dataclass
class Inventory:
    """The inventory the VM's NIC leads to: `port` on the host's 127.0.0.1 (nothing may
    listen there: « serveur injoignable »), `approve` a bench id, `kinds` of records it
    holds for a disk serial."""

    port: int
    approve: Callable[[str], str] = lambda bench_id: "no server"
    kinds: Callable[[str], list[str]] = lambda serial: []


def run_boot(
    workdir: Path, iso: Path, firmware: str, full: bool, inventory: Inventory | None = None
) -> tuple[LiveVM, Seen]:
    stick = workdir / "stick.img"
    offset = write_stick_image(iso, stick, bench_profile_with_inventory(workdir))
    seen: Seen = {"firmware": firmware, "stick_serial": STICK_SERIAL}
    netdev = user_network(inventory.port) if inventory is not None else None
    vm = make_live_vm(workdir, stick, firmware, LIVE_BENCH, netdev)

    def steps(vm: LiveVM, seen: Seen) -> None:
        reach_station(vm, seen, "")
        look_around(vm, seen)
        highlight_check(vm, seen)
        if inventory is not None:
            enrol_on_the_inventory(vm, seen, inventory.approve)
        if full:
            wipe_through_tui(vm, seen)
            purge_nvme_through_tui(vm, seen)
            if inventory is not None:
                wait_for_records(vm, seen, inventory)
            reboot_and_read_journal(vm, seen)

    drive(vm, seen, workdir, steps)
    if full and "error" not in seen:
        seen["host_journal_kinds"] = host_journal_kinds(stick, offset, workdir)
    return vm, seen
