"""`make report-previews` end to end, into a temporary folder: the fixture journal's
certificate and lot document rendered by pdftoppm, the verification and home pages of a
real inventory server photographed by headless Chromium. A blank render fails."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.server
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "report_previews.py"


def test_previews_are_rendered_and_not_blank(tmp_path: Path) -> None:
    for tool in ("pdftoppm", "chromium"):
        if shutil.which(tool) is None:
            pytest.skip(f"previews need {tool} (scripts/install-system-deps.sh)")
    spec = importlib.util.spec_from_file_location("report_previews", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    made = module.make_previews(tmp_path)
    names = sorted(path.name for path in made)
    assert names == [
        "accueil.png", "certificat-page1.png", "certificat-page2.png", "certificat-page3.png",
        "lot-page1.png", "verification.png",
    ]  # fmt: skip
    for path in made:
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG")
        # A page of text compresses far less than a blank one of the same size.
        assert len(data) > 20_000, path.name
