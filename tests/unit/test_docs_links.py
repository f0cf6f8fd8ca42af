"""Every reference in the repository points inside it.

A user of the repository has only the repository: a comment citing a design file that
lives elsewhere, a doc linking to a sibling folder of the clone, or a docs page that was
renamed leaves them with a dead end. These tests read every file of the repository and
fail on:
- a path that leaves the repository (a design folder beside the checkout, absolute
  paths of the machines the project was built on);
- a `docs/NAME.md` that does not exist, or a bare `NAME.md` cited in code that is neither
  a docs page nor a file next to the citing one;
- a relative Markdown link in README.md or docs/ whose target (or #anchor) is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
SKIP_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
SKIP_DIRS |= {"build", "dist", "results", "node_modules"}
THIS_FILE = Path(__file__).resolve()

# Spelt in two pieces so this file does not match its own patterns.
OUTSIDE = [
    re.compile(r"(?:\.\./)+" + "shared" + r"\b"),
    re.compile(r"(?<![\w.:/-])/" + r"work/"),  # an absolute path, not part of a URL
]
DOCS_PAGE = re.compile(r"(?<![\w./-])docs/([\w.-]+\.md)\b")
BARE_MD = re.compile(r"(?<![\w./-])([A-Za-z][\w-]*\.md)\b")
MD_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# Files whose bare .md names are not citations of Station's docs (recorded outputs).
CODE_SUFFIXES = {".py", ".sh", ".yaml", ".yml", ".json", ".toml", ".cfg", ".txt", ""}


@cache
def repository_files() -> tuple[Path, ...]:
    """The files of the repository: git's list when this is a clone, else a walk."""
    git = shutil.which("git")
    if git and (REPO / ".git").exists():
        listed = subprocess.run(
            [git, "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            check=True,
        ).stdout
        paths = [REPO / os.fsdecode(p) for p in listed.split(b"\0") if p]
        return tuple(p for p in paths if p.is_file())
    found = []
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        found += [Path(root) / name for name in files]
    return tuple(found)


@cache
def text_of(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def text_files() -> list[tuple[Path, str]]:
    return [
        (path, text)
        for path in repository_files()
        if path != THIS_FILE and (text := text_of(path)) is not None
    ]


def where(path: Path, text: str, index: int) -> str:
    return f"{path.relative_to(REPO)}:{text.count(chr(10), 0, index) + 1}"


def outside_references(path: Path, text: str) -> list[str]:
    return [
        f"{where(path, text, m.start())}: {m.group(0)!r} is outside the repository"
        for pattern in OUTSIDE
        for m in pattern.finditer(text)
    ]


def missing_docs_pages(path: Path, text: str) -> list[str]:
    problems = [
        f"{where(path, text, m.start())}: docs/{m.group(1)} does not exist"
        for m in DOCS_PAGE.finditer(text)
        if not (DOCS / m.group(1)).is_file()
    ]
    if path.suffix in CODE_SUFFIXES and "fixtures" not in path.parts:
        for m in BARE_MD.finditer(text):
            name = m.group(1)
            if not any((base / name).is_file() for base in (DOCS, REPO, path.parent)):
                problems.append(f"{where(path, text, m.start())}: {name} is not in docs/")
    return problems


def slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    kept = "".join(c for c in text if c in " -" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = text_of(path) or ""
    return {slug(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", text, re.MULTILINE)}


def broken_links(path: Path, text: str) -> list[str]:
    problems = []
    for m in MD_LINK.finditer(text):
        target = m.group(1)
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        here = where(path, text, m.start())
        if not resolved.is_relative_to(REPO):
            problems.append(f"{here}: link {target!r} leaves the repository")
        elif not resolved.exists():
            problems.append(f"{here}: link {target!r} points at nothing")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            problems.append(f"{here}: link {target!r}: no heading gives #{anchor}")
    return problems


def markdown_pages() -> list[Path]:
    return [REPO / "README.md", *sorted(DOCS.glob("*.md"))]


def test_no_file_points_outside_the_repository() -> None:
    problems = [p for path, text in text_files() for p in outside_references(path, text)]
    assert problems == []


def test_every_cited_docs_page_exists() -> None:
    problems = [p for path, text in text_files() for p in missing_docs_pages(path, text)]
    assert problems == []


@pytest.mark.parametrize("page", markdown_pages(), ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    assert broken_links(page, page.read_text(encoding="utf-8")) == []


def test_the_checks_catch_what_they_are_for(tmp_path: Path) -> None:
    """Each check flags a planted mistake, so a green run means something."""
    fake = DOCS / "wipe.md"
    planted = "see ../../" + "shared/design/x.md and /" + "work/shared/fixtures\n"
    assert len(outside_references(fake, planted)) == 2
    cited = REPO / "station" / "x.py"
    assert missing_docs_pages(cited, "# docs/no-such-page.md, pitfall 1\n")
    assert missing_docs_pages(cited, "# engine-api.md lists these codes\n")
    assert not missing_docs_pages(cited, "# docs/sanitization.md, pitfall 1\n")
    assert broken_links(fake, "[x](no-such.md)\n")
    assert broken_links(fake, "[x](../../elsewhere/README.md)\n")
    assert broken_links(fake, "[x](sanitization.md#no-such-heading)\n")
    assert not broken_links(fake, "[x](sanitization.md#7-pitfalls) [y](https://nist.gov)\n")


def test_every_docs_page_is_in_the_readme_index() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    index = readme[readme.index("## Documentation") :]
    unlisted = [p.name for p in DOCS.glob("*.md") if f"(docs/{p.name})" not in index]
    assert unlisted == []
