"""A valid, realistic body for every step kind: for tests, demos and benchmarks.

Nothing here is evidence of anything: these bodies never go into a real bench's journal
except through the simulated bench, and they say so (operator "demo").
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

_T0 = "2026-11-22T09:00:00Z"
_T1 = "2026-11-22T09:05:00Z"
_DISK = {
    "serial": "WD-WCC4N0000001",
    "wwn": "0x50014ee2b0000001",
    "model": "WDC WD5000AAKX-00ERMA0",
    "size_bytes": 500_107_862_016,
    "path": "/dev/sdb",
}
_HOST = {"manufacturer": "LENOVO", "product": "20HES0JQ00", "serial": "PF0ABCDE", "uuid": None}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _command(tool: str, *argv: str, exit_code: int | None = 0) -> dict[str, Any]:
    return {
        "tool": {"name": tool, "version": "7.3"},
        "argv": [tool, *argv],
        "exit_code": exit_code,
        "timed_out": False,
        "stdout_sha256": _digest(f"{tool} stdout"),
        "stderr_sha256": _digest(""),
        "excerpt": "SMART overall-health self-assessment test result: PASSED",
        "started_at": _T0,
        "ended_at": _T1,
    }


_SAMPLES: dict[str, dict[str, Any]] = {
    "disk_seen": {"disk": _DISK, "slot": "pci-0000:00:17.0-ata-2", "bus": "ata",
                  "media_kind": "hdd", "eligible": True, "refusals": []},
    "smart_assessment": {"disk": _DISK, "verdict": "healthy", "overall_health": "passed",
                         "power_on_hours": 21034, "reallocated_sectors": 0,
                         "pending_sectors": 0, "temperature_c": 34,
                         "commands": [_command("smartctl", "--json", "-a", "/dev/sdb")]},
    "self_test": {"disk": _DISK, "test": "short", "status": "passed",
                  "commands": [_command("smartctl", "-t", "short", "/dev/sdb")]},
    "hpa_dco_change": {"disk": _DISK, "feature": "hpa", "action": "detected",
                       "native_max_sectors": 976773168, "max_sectors_before": 976773168,
                       "max_sectors_after": 976773168,
                       "commands": [_command("hdparm", "-N", "/dev/sdb")]},
    "purge_command": {"disk": _DISK, "technique": "ata_secure_erase", "method": "purge",
                      "supported": True, "accepted": True, "completed": True,
                      "result": "purged",
                      "commands": [_command("hdparm", "--security-erase", "NULL", "/dev/sdb")]},
    "overwrite_pass": {"disk": _DISK, "pass_index": 1, "pass_count": 1, "pattern": "random",
                       "key_hex": "00112233445566778899aabbccddeeff",
                       "bytes_total": 500_107_862_016, "bytes_written": 500_107_862_016,
                       "completed": True, "started_at": _T0, "ended_at": _T1},
    "verification": {"disk": _DISK, "mode": "sampled",
                     "seed_hex": "00112233445566778899aabbccddeeff", "expected": "random",
                     "coverage_percent": 10.0, "bytes_checked": 50_010_786_201,
                     "result": "cleared"},
    "image_deploy": {"disk": _DISK, "host": _HOST, "image_name": "debian-12-xfce",
                     "image_sha256": _digest("image"), "bytes_written": 8_589_934_592,
                     "verified": True, "outcome": "deployed"},
    "work_cancelled": {"disk": _DISK, "stage": "erase", "requested_by": "stop_key"},
    "licence_assignment": {"host": _HOST, "product": "windows-10-pro", "pool": "refurb-2026",
                           "licence_sha256": _digest("licence")},
    "host_inventory": {"host": _HOST, "cpu": "Intel Core i5-7300U", "ram_bytes": 8 << 30,
                       "disks": [_DISK], "battery_health_percent": 81.5},
    "function_test": {"host": _HOST, "test": "battery", "status": "passed",
                      "judged_by": "automatic", "tool": {"name": "station"},
                      "measured": {"health_percent": 81.5, "cycle_count": 212,
                                   "discharge_w": 7.9, "charger_online": True}},
    "grade": {"host": _HOST, "grade": "B", "label": {"fr": "Bon", "en": "Good"},
              "computed": "B", "rules": "demo-bench",
              "reasons": [{"fr": "Batterie sous 85 % de sa capacité d'origine",
                           "en": "Battery below 85% of its design capacity"}]},
    "supervisor_signoff": {"supervisor": "sup-02", "day": "2026-11-22", "first_seq": 1,
                           "last_seq": 9, "last_record_id": _digest("tip"),
                           "decision": "approved"},
    "daily_checkpoint": {"day": "2026-11-22", "first_seq": 1, "last_seq": 9,
                         "record_count": 9, "last_record_id": _digest("tip"),
                         "results": {"purged": 1, "cleared": 1}},
}  # fmt: skip


def sample_body(kind: str, **overrides: Any) -> dict[str, Any]:
    """A valid unsigned body of `kind` (the journal adds bench_id, seq, prev, record_id)."""
    body: dict[str, Any] = {"kind": kind, "created_at": _T0, "operator": "demo"}
    body.update(copy.deepcopy(_SAMPLES[kind]))
    body.update(overrides)
    return body


def sample_kinds() -> list[str]:
    return list(_SAMPLES)
