"""YAML files that would exhaust the bench (issue 16, item 8): a 467-byte billion-laughs
profile, a 50 MB profile, a deeply shared tree. Each is refused with the file named and
the reason, before anything big is built; the loader parses once, in C when it can."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from station.domain.profiles import WipeProfile
from station.errors import ProfileError
from station.yamlfile import MAX_YAML_BYTES, Loader, load_model


def _level(n: int) -> str:
    below = "*a" if n == 1 else f"*l{n - 1}"
    return f"l{n}: &l{n} [{','.join([below] * 9)}]"


# 9 levels of 9 references to the level below: 9^9 = 387 million "lol" once expanded.
LAUGHS = (
    "\n".join(
        ['name: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        + [_level(n) for n in range(1, 10)]
    )
    + "\n"
)


def test_a_billion_laughs_profile_stays_small_in_memory(tmp_path: Path) -> None:
    """Run in a child limited to 1 GiB of address space (never in the test process):
    before the fix the expansion went to 5.5 GB (MemoryError here); now the refusal,
    naming the file and the aliases, comes first."""
    profile = tmp_path / "laughs.yaml"
    profile.write_text(LAUGHS)
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from pathlib import Path\n"
        "from station.domain.profiles import WipeProfile\n"
        "from station.errors import ProfileError\n"
        "from station.yamlfile import load_model\n"
        "try:\n"
        "    load_model(Path(sys.argv[1]), WipeProfile)\n"
        "except ProfileError as exc:\n"
        "    print(exc.one_line())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(profile)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-500:]
    assert "aliases" in done.stdout and str(profile) in done.stdout
    assert resource.RLIMIT_AS  # the limit exists on this platform


def test_an_oversized_profile_is_refused_before_parsing(tmp_path: Path) -> None:
    profile = tmp_path / "huge.yaml"
    with profile.open("w") as handle:
        handle.write("name: huge\ncomment: |\n")
        line = "  " + "x" * 78 + "\n"
        handle.write(line * (50 * 1024 * 1024 // len(line)))
    with pytest.raises(ProfileError, match="over 256 KiB"):
        load_model(profile, WipeProfile)
    assert profile.stat().st_size > MAX_YAML_BYTES


def test_too_many_nodes_are_refused(tmp_path: Path) -> None:
    profile = tmp_path / "many.yaml"
    profile.write_text("name: many\nitems: [" + ",".join(["1"] * 30_000) + "]\n")
    with pytest.raises(ProfileError, match="more than 20000 YAML nodes"):
        load_model(profile, WipeProfile)


def test_the_c_loader_is_used_when_pyyaml_has_it() -> None:
    if not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("PyYAML was built without libyaml here")
    assert Loader.__name__ == "CSafeLoader"


def test_an_ordinary_anchor_free_profile_still_loads_with_line_numbers(tmp_path: Path) -> None:
    profile = tmp_path / "typo.yaml"
    profile.write_text("name: x\ntitel: oops\n")
    with pytest.raises(ProfileError, match="line 2: field 'titel': unknown field"):
        load_model(profile, WipeProfile)
