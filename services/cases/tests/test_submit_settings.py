"""Cases' settings for a submission load (issue 20): more connections kept than the kit's, the
matter cache on, one process unless asked."""

from __future__ import annotations

from govhall.cases.settings import CasesSettings
from govhall.kit.settings import ServiceSettings


def test_cases_keeps_more_connections_than_the_kit_and_caches_matters() -> None:
    assert ServiceSettings().database_pool_size == 10
    settings = CasesSettings()
    assert settings.database_pool_size == 20
    assert settings.matter_cache_seconds == 2.0
    assert settings.workers == 1
