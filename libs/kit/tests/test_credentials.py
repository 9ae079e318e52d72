"""Credentials in the kit's settings and database set-up: a service's password stays out of its
URL and its logs, and a role that may not create databases starts on one made for it."""

from __future__ import annotations

import logging
import uuid

import pytest
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from govhall.kit.db import Database, DatabaseMissing, ensure_database, ping
from govhall.kit.settings import PlatformSettings, ServiceSettings
from govhall.kit.testing import create_database, drop_database, pg_url, service_env


class _Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GOVHALL_DEMO_", extra="ignore")


def test_the_database_password_replaces_the_urls_and_is_never_shown(tmp_path: object) -> None:
    settings = _Settings(
        database_url="postgresql://govhall_demo:stale@127.0.0.1:5432/govhall_demo",
        database_password=SecretStr("s3cret/+@"),
    )
    platform = PlatformSettings(var_dir=tmp_path)  # type: ignore[arg-type]
    url = settings.resolved_database_url(platform, "demo")
    # Quoted where a URL needs it, and the URL's own password gone.
    assert url == "postgresql+asyncpg://govhall_demo:s3cret%2F+%40@127.0.0.1:5432/govhall_demo"
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings)
    # Without a password, the URL as given.
    assert _Settings(database_url="postgresql://u@h/d").resolved_database_url(platform, "demo") == (
        "postgresql+asyncpg://u@h/d"
    )


def test_the_settings_read_the_passwords_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVHALL_DEMO_DATABASE_PASSWORD", "pw1")
    monkeypatch.setenv("GOVHALL_REDIS_USERNAME", "services")
    monkeypatch.setenv("GOVHALL_REDIS_PASSWORD", "pw2")
    monkeypatch.setenv("GOVHALL_ELASTICSEARCH_USERNAME", "search")
    monkeypatch.setenv("GOVHALL_ELASTICSEARCH_PASSWORD", "pw3")
    settings, platform = _Settings(), PlatformSettings()
    assert settings.database_password is not None and settings.database_password.get_secret_value() == "pw1"
    assert platform.redis_username == "services" and platform.redis_password is not None
    assert platform.redis_password.get_secret_value() == "pw2"
    assert platform.elasticsearch_username == "search" and platform.elasticsearch_password is not None
    assert "pw2" not in repr(platform) and "pw3" not in repr(platform)


def test_service_env_gives_each_service_its_own_credentials_only() -> None:
    cluster = {
        "GOVHALL_PG_HOST": "127.0.0.1",
        "GOVHALL_PG_PORT": "55432",
        "GOVHALL_DB_SERVICES": "identity cases search",
        "GOVHALL_REDIS_URL": "redis://127.0.0.1:56379/0",
        "GOVHALL_ELASTICSEARCH_URL": "http://127.0.0.1:59200",
        "GOVHALL_SECRET_PG_CASES": "pg-cases",
        "GOVHALL_SECRET_PG_SEARCH": "pg-search",
        "GOVHALL_SECRET_REDIS_GATEWAY": "r-gw",
        "GOVHALL_SECRET_REDIS_SERVICES": "r-svc",
        "GOVHALL_SECRET_REDIS_IDENTITY": "r-id",
        "GOVHALL_SECRET_ES_SEARCH": "es-search",
    }
    assert service_env(cluster, "cases") == {
        "GOVHALL_CASES_DATABASE_URL": "postgresql+asyncpg://govhall_cases@127.0.0.1:55432/govhall_cases",
        "GOVHALL_CASES_DATABASE_PASSWORD": "pg-cases",
        "GOVHALL_REDIS_URL": "redis://127.0.0.1:56379/0",
        "GOVHALL_REDIS_USERNAME": "services",
        "GOVHALL_REDIS_PASSWORD": "r-svc",
    }
    search = service_env(cluster, "search")
    assert search["GOVHALL_ELASTICSEARCH_USERNAME"] == "search"
    assert search["GOVHALL_ELASTICSEARCH_PASSWORD"] == "es-search"
    gateway = service_env(cluster, "gateway")
    assert gateway == {
        "GOVHALL_REDIS_URL": "redis://127.0.0.1:56379/0",
        "GOVHALL_REDIS_USERNAME": "gateway",
        "GOVHALL_REDIS_PASSWORD": "r-gw",
    }
    assert service_env(cluster, "identity")["GOVHALL_REDIS_USERNAME"] == "identity"
    # No secrets (a server without users): URLs only.
    bare = {k: v for k, v in cluster.items() if not k.startswith("GOVHALL_SECRET_")}
    assert service_env(bare, "cases") == {
        "GOVHALL_CASES_DATABASE_URL": "postgresql+asyncpg://govhall_cases@127.0.0.1:55432/govhall_cases",
        "GOVHALL_REDIS_URL": "redis://127.0.0.1:56379/0",
    }


@pytest.mark.integration
async def test_ensure_database_needs_no_privilege_for_an_existing_database(cluster: dict[str, str]) -> None:
    name = f"test_exists_{uuid.uuid4().hex[:8]}"
    url = await create_database(cluster, name, "govhall_test")
    try:
        await ensure_database(url)  # govhall_test owns it and may create none
        db = Database(url)
        try:
            assert await ping(db.engine)
        finally:
            await db.close()
    finally:
        await drop_database(cluster, name)


@pytest.mark.integration
async def test_ensure_database_names_a_missing_database_it_may_not_create(
    cluster: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    missing = f"test_missing_{uuid.uuid4().hex[:8]}"
    url = pg_url(cluster, "govhall_search", missing)
    with caplog.at_level(logging.DEBUG), pytest.raises(DatabaseMissing) as refused:
        await ensure_database(url)
    assert str(refused.value) == (
        f"database '{missing}' does not exist and role 'govhall_search' may not create it: create it as "
        "an administrator, owned by 'govhall_search' (deploy/local/start.sh does)"
    )
    password = cluster["GOVHALL_SECRET_PG_SEARCH"]
    assert password not in str(refused.value) and password not in caplog.text
