"""The baseline of bench/search_vs_bare.py: a bare FastAPI JSON endpoint, no I/O.

One GET route shaped like the gateway's search (`/api/v1/sites/{site}/search?q=...`) that returns
a body shaped and sized like a gateway search result: 10 hits of Chinese text, about 4 KB of JSON.
The body is built once at start-up; each request only validates the parameters, copies the
query into the reply and serialises it, the way an ordinary FastAPI handler returning a dict does.

Served by uvicorn exactly as the gateway is (same loop and HTTP implementation, same log level,
proxy headers on), so the difference the benchmark measures is the gateway's own work:
its middleware and rate limiter, the gRPC call to search, Elasticsearch, and the response model.

    python bench/bare_app.py --port 8765 [--log-level info]
"""

from __future__ import annotations

import argparse
from typing import Annotated, Any

import uvicorn
from fastapi import FastAPI, Path, Query

TYPE_LABELS = {
    "licensing": "行政许可",
    "confirmation": "行政确认",
    "benefit": "行政给付",
    "public_service": "公共服务",
    "other_power": "其他行政权力",
}
SITE_NAMES = {"420000": "湖北省", "420500": "宜昌市", "420502": "西陵区"}


def _hit(code: str, name: str, department: str, type_: str, audiences: str, score: float) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "site_code": code[:6],
        "site_name": SITE_NAMES[code[:6]],
        "department_name": department,
        "type": type_,
        "type_label": TYPE_LABELS[type_],
        "audiences": audiences.split(),
        "online_application": True,
        "score": score,
    }


# Demo matters of the sites 西陵区 sees, so the JSON has a reply's length and character mix.
HITS: list[dict[str, Any]] = [
    _hit(
        "420502-SCJGJ-0002",
        "营业执照设立登记（个体工商户）",
        "西陵区市场监督管理局",
        "licensing",
        "person",
        12.4187,
    ),
    _hit(
        "420502-SCJGJ-0001",
        "食品经营许可",
        "西陵区市场监督管理局",
        "licensing",
        "person legal_person",
        11.9731,
    ),
    _hit("420502-GAFJ-0001", "居民身份证补领", "宜昌市公安局西陵区分局", "public_service", "person", 8.2264),
    _hit(
        "420502-RSJ-0001", "社会保障卡申领", "西陵区人力资源和社会保障局", "public_service", "person", 6.0518
    ),
    _hit("420502-MZJ-0001", "结婚登记（内地居民）", "西陵区民政局", "confirmation", "person", 5.4402),
    _hit(
        "420500-GJJ-0001",
        "住房公积金提取（离休、退休）",
        "宜昌市住房公积金中心",
        "public_service",
        "person",
        4.8876,
    ),
    _hit("420500-RSJ-0001", "失业保险金申领", "宜昌市人力资源和社会保障局", "benefit", "person", 4.1093),
    _hit("420500-STHJJ-0001", "排污许可证核发", "宜昌市生态环境局", "licensing", "legal_person", 3.7715),
    _hit(
        "420000-RST-0001",
        "社会保险个人权益记录查询打印",
        "湖北省人力资源和社会保障厅",
        "public_service",
        "person",
        3.3021,
    ),
    _hit("420000-GAT-0001", "保安服务公司设立许可", "湖北省公安厅", "licensing", "legal_person", 2.9964),
]

app = FastAPI(title="bare baseline")


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/api/v1/sites/{site}/search")
async def search(
    site: Annotated[str, Path(pattern=r"^\d{6}$")],
    q: Annotated[str, Query(min_length=1, max_length=100)],
    page: Annotated[int, Query(ge=1, le=100)] = 1,
    page_size: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    return {
        "query": q,
        "items": HITS[:page_size],
        "page": {"page": page, "page_size": page_size, "total": 23},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    # The gateway's own uvicorn.run call (govhall.gateway.__main__), minus the settings objects.
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level.lower(), proxy_headers=True)
