"""Helpers shared by the VM tier's test modules (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness import VM, VMResult

PAYLOADS = Path(__file__).resolve().parent / "payloads"


def finished(vm: VM) -> VMResult:
    """Wait for the VM to power off; its agent must have sent a result without error."""
    run = vm.wait()
    assert run.result is not None, run.describe()
    assert "agent_error" not in run.result, run.result["agent_error"]
    return run


def payload(name: str) -> str:
    """The source of a payload run inside the VM (tests/vm/payloads/NAME)."""
    return (PAYLOADS / name).read_text()


def step(result: dict[str, Any] | None, name: str) -> Any:
    """One step of the payload's result; fails with the VM's own words when absent."""
    assert result is not None, "the VM sent no result (see console.log in the work dir)"
    payload_result = result.get("payload")
    assert isinstance(payload_result, dict), f"payload gave no result: {result}"
    value = payload_result.get(name)
    assert value is not None, f"step {name!r} missing from the VM's result"
    if isinstance(value, dict) and "error" in value and len(value) == 1:
        pytest.fail(f"step {name!r} raised inside the VM:\n{value['error']}")
    return value


def describe(run: dict[str, Any]) -> str:
    """A command's argv, exit code and output tail, for assertion messages."""
    return (
        f"$ {' '.join(run['argv'])} -> rc {run['rc']}\n"
        f"stdout: {run['stdout'][-1500:]}\nstderr: {run['stderr'][-1500:]}"
    )
