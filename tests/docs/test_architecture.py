"""The architecture page in the repository stays true: it names every service and every event
subject the code publishes, and the README sends readers to it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "ARCHITECTURE.md"
SUBJECT = re.compile(
    r"""["']((identity|catalogue|cases|search|appointments|consult|licences)\.[a-z_]+\.[a-z_]+)["']"""
)


def _published_subjects() -> set[str]:
    found: set[str] = set()
    # Each service's registry of subjects (govhall.contracts), and anything a service still names.
    contracts = sorted((ROOT / "libs/protos/src/govhall/contracts").glob("*.py"))
    for source in [*(ROOT / "services").glob("*/src/govhall/*/*.py"), *contracts]:
        found.update(m.group(1) for m in SUBJECT.finditer(source.read_text(encoding="utf-8")))
    # Subjects built from a prefix constant (cases: EVENT_PREFIX + "submitted"), wherever they live.
    for source in [*(ROOT / "services/cases/src/govhall/cases").glob("*.py"), *contracts]:
        text = source.read_text(encoding="utf-8")
        found.update(f"cases.case.{m}" for m in re.findall(r'EVENT_PREFIX \+ "([a-z_]+)"', text))
    return found


def test_readme_links_the_architecture_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/ARCHITECTURE.md" in readme
    assert "../shared/" not in readme, "the README must not send readers outside the repository"
    assert PAGE.is_file()


def test_every_service_is_described() -> None:
    page = PAGE.read_text(encoding="utf-8")
    services = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").is_file())
    assert len(services) >= 8
    missing = [name for name in services if not re.search(rf"\b{name}\b", page)]
    assert missing == []


def test_every_event_subject_is_named() -> None:
    page = PAGE.read_text(encoding="utf-8")
    subjects = _published_subjects()
    assert "cases.case.submitted" in subjects and "catalogue.site.upserted" in subjects
    missing = sorted(
        s
        for s in subjects
        if s not in page and not (s.rsplit(".", 1)[0] in page and s.rsplit(".", 1)[1] in page)
    )
    assert missing == []
