"""The local cluster from deploy/local answers for real: the servers the test session started
(the `cluster` fixture runs deploy/local/start.sh) are checked with the standard library only."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "catalogue", "cases", "appointments", "consult", "licences", "search")
TEXT = "营业执照设立登记"
BIGRAMS = ["营业", "业执", "执照", "照设", "设立", "立登", "登记"]

pytestmark = pytest.mark.integration


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            raw = reply.read()
            status, headers = reply.status, dict(reply.headers)
    except urllib.error.HTTPError as error:
        raw = error.read()
        status, headers = error.code, dict(error.headers)
    return status, headers, json.loads(raw) if raw else None


def es_admin(cluster: dict[str, str]) -> dict[str, str]:
    """The Authorization header of Elasticsearch's admin user (deploy/local turns security on)."""
    token = base64.b64encode(f"admin:{cluster['GOVHALL_SECRET_ES_ADMIN']}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def pg_url(cluster: dict[str, str]) -> tuple[str, int, str]:
    """Host, port and user of the cluster, from GOVHALL_PG_URL (postgresql+asyncpg://user@host:port)."""
    parts = urlsplit(cluster["GOVHALL_PG_URL"])
    assert parts.hostname and parts.port and parts.username
    return parts.hostname, parts.port, parts.username


def test_env_exports_the_urls_services_read(cluster: dict[str, str]) -> None:
    host, port, user = pg_url(cluster)
    assert (host, port, user) == ("127.0.0.1", 55432, "govhall")
    assert cluster["GOVHALL_PG_URL"] == "postgresql+asyncpg://govhall@127.0.0.1:55432"
    assert cluster["GOVHALL_NATS_URL"] == "nats://127.0.0.1:54222"
    assert cluster["GOVHALL_REDIS_URL"] == "redis://127.0.0.1:56379/0"
    assert cluster["GOVHALL_ELASTICSEARCH_URL"] == "http://127.0.0.1:59200"
    for service in SERVICES:
        assert (
            cluster[f"GOVHALL_{service.upper()}_DATABASE_URL"]
            == f"postgresql+asyncpg://govhall_{service}@127.0.0.1:55432/govhall_{service}"
        )


def test_status_reports_every_server_up() -> None:
    result = subprocess.run(
        ["bash", "deploy/local/status.sh"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["postgres", "up"],
        ["redis", "up"],
        ["nats", "up"],
        ["elasticsearch", "up"],
    ]


def psql(cluster: dict[str, str], database: str, sql: str) -> str:
    host, port, user = pg_url(cluster)
    command = ["psql", "-h", host, "-p", str(port), "-U", user, "-d", database, "-XAtq", "-c", sql]
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=True).stdout.strip()


def test_start_again_is_quick_and_harmless(cluster: dict[str, str]) -> None:
    started = time.monotonic()
    result = subprocess.run(
        ["bash", "deploy/local/start.sh"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert time.monotonic() - started < 15
    for server in ("postgres", "redis", "nats", "elasticsearch"):
        assert f"{server} already up" in result.stderr


def test_the_seven_service_databases_exist(cluster: dict[str, str]) -> None:
    databases = set(psql(cluster, "postgres", "SELECT datname FROM pg_database").split())
    assert {f"govhall_{s}" for s in SERVICES} <= databases


def test_postgres_answers_as_superuser_on_loopback(cluster: dict[str, str]) -> None:
    row = psql(
        cluster,
        "govhall_cases",
        "SELECT current_user, rolsuper, current_setting('listen_addresses'), pg_encoding_to_char(encoding)"
        " FROM pg_roles, pg_database WHERE rolname = current_user AND datname = current_database()",
    )
    assert row == "govhall|t|127.0.0.1|UTF8"


def test_redis_answers_ping_with_pong(cluster: dict[str, str]) -> None:
    parts = urlsplit(cluster["GOVHALL_REDIS_URL"])
    password = cluster["GOVHALL_SECRET_REDIS_ADMIN"].encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as conn:
        # Nobody is let in without a user (the default user is off).
        conn.sendall(b"*1\r\n$4\r\nPING\r\n")
        assert conn.recv(64).startswith(b"-NOAUTH")
        conn.sendall(b"*3\r\n$4\r\nAUTH\r\n$5\r\nadmin\r\n$%d\r\n%s\r\n" % (len(password), password))
        assert conn.recv(64) == b"+OK\r\n"
        conn.sendall(b"*1\r\n$4\r\nPING\r\n")
        assert conn.recv(64) == b"+PONG\r\n"


def test_nats_has_jetstream_enabled(cluster: dict[str, str]) -> None:
    monitor = f"http://127.0.0.1:{cluster['GOVHALL_NATS_MONITOR_PORT']}"
    status, _, jsz = http("GET", f"{monitor}/jsz")
    assert status == 200
    assert not jsz.get("disabled", False), jsz
    assert jsz["config"]["max_storage"] > 0
    # File storage under a var/ of a checkout: this one's, or another's whose servers already answer.
    assert jsz["config"]["store_dir"].endswith("/var/nats/jetstream"), jsz["config"]["store_dir"]
    status, _, health = http("GET", f"{monitor}/healthz?js-enabled-only=true")
    assert (status, health) == (200, {"status": "ok"})
    # And the client port speaks NATS.
    parts = urlsplit(cluster["GOVHALL_NATS_URL"])
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as conn:
        assert conn.recv(4096).startswith(b"INFO {")


def test_elasticsearch_is_version_8(cluster: dict[str, str]) -> None:
    status, headers, info = http("GET", cluster["GOVHALL_ELASTICSEARCH_URL"], headers=es_admin(cluster))
    assert status == 200
    assert info["version"]["number"].startswith("8."), info
    assert info["cluster_name"] == "govhall-local"
    # The Python client (8.x) refuses servers that do not say they are Elasticsearch.
    assert {k.lower(): v for k, v in headers.items()}["x-elastic-product"] == "Elasticsearch"
    # HEAD / is the client's ping().
    status, _, _ = http("HEAD", cluster["GOVHALL_ELASTICSEARCH_URL"], headers=es_admin(cluster))
    assert status == 200
    status, _, health = http(
        "GET", f"{cluster['GOVHALL_ELASTICSEARCH_URL']}/_cluster/health", headers=es_admin(cluster)
    )
    assert status == 200 and health["status"] in ("green", "yellow"), health


def test_elasticsearch_cjk_analyzer_yields_bigrams(cluster: dict[str, str]) -> None:
    es = cluster["GOVHALL_ELASTICSEARCH_URL"]
    status, _, analysed = http("POST", f"{es}/_analyze", {"analyzer": "cjk", "text": TEXT}, es_admin(cluster))
    assert status == 200, analysed
    assert [t["token"] for t in analysed["tokens"]] == BIGRAMS


def test_elasticsearch_index_with_cjk_field_finds_a_bigram(cluster: dict[str, str]) -> None:
    es = cluster["GOVHALL_ELASTICSEARCH_URL"]
    index = f"test-local-cluster-{uuid.uuid4().hex[:8]}"
    status, _, body = http(
        "PUT",
        f"{es}/{index}",
        {
            "settings": {
                "number_of_replicas": 0,
                "analysis": {
                    "analyzer": {
                        "zh": {"tokenizer": "standard", "filter": ["cjk_width", "lowercase", "cjk_bigram"]}
                    }
                },
            },
            "mappings": {
                "properties": {
                    "title": {"type": "text", "analyzer": "cjk"},
                    "title_zh": {"type": "text", "analyzer": "zh"},
                }
            },
        },
        es_admin(cluster),
    )
    assert status == 200, body
    try:
        status, _, analysed = http(
            "POST", f"{es}/{index}/_analyze", {"field": "title", "text": TEXT}, es_admin(cluster)
        )
        assert [t["token"] for t in analysed["tokens"]] == BIGRAMS
        status, _, analysed = http(
            "POST", f"{es}/{index}/_analyze", {"field": "title_zh", "text": "ＡＢＣ营业"}, es_admin(cluster)
        )
        assert [t["token"] for t in analysed["tokens"]] == ["abc", "营业"]
        doc = {"title": "企业" + TEXT, "title_zh": "企业" + TEXT}
        status, _, body = http("PUT", f"{es}/{index}/_doc/1?refresh=true", doc, es_admin(cluster))
        assert status == 201, body
        for field in ("title", "title_zh"):
            status, _, found = http(
                "POST", f"{es}/{index}/_search", {"query": {"match": {field: "营业执照"}}}, es_admin(cluster)
            )
            assert status == 200, found
            assert [hit["_id"] for hit in found["hits"]["hits"]] == ["1"]
            status, _, found = http(
                "POST",
                f"{es}/{index}/_search",
                {"query": {"match_phrase": {field: "执照设立"}}},
                es_admin(cluster),
            )
            assert [hit["_id"] for hit in found["hits"]["hits"]] == ["1"]
    finally:
        http("DELETE", f"{es}/{index}", headers=es_admin(cluster))
