"""QR codes that open a guide page: PNG or SVG, for published guides only, pointing at the right URL."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET

import pydantic
import pytest

from govhall.catalogue.settings import DEFAULT_GUIDE_URL_TEMPLATE, CatalogueSettings
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

from .conftest import ANONYMOUS, Catalogue, draft

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def qr(catalogue: Catalogue, code: str, site: str = "420502", fmt: int = 0) -> pb.GuideQrCode:
    return await catalogue.call(
        "GetGuideQrCode", pb.GetGuideQrCodeRequest(site_code=site, code=code, format=fmt), ANONYMOUS
    )


async def test_png_and_svg_for_a_published_guide(catalogue: Catalogue) -> None:
    await catalogue.create("420502-XZSP-0001", publish=True)
    png = await qr(catalogue, "420502-XZSP-0001")
    assert png.url == "https://zwfw.example.cn/guide/420502/420502-XZSP-0001"
    assert png.media_type == "image/png"
    width, height = png_size(png.data)
    assert width == height and 200 <= width <= 300
    assert png == await qr(catalogue, "420502-XZSP-0001", fmt=pb.QR_FORMAT_PNG)

    svg = await qr(catalogue, "420502-XZSP-0001", fmt=pb.QR_FORMAT_SVG)
    assert svg.media_type == "image/svg+xml" and svg.url == png.url
    root = ET.fromstring(svg.data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert 200 <= int(root.attrib["width"]) <= 300


async def test_the_url_names_the_site_it_is_seen_from(catalogue: Catalogue) -> None:
    await catalogue.create("P-1", "420000", draft("省级事项", "420000-GAT"), publish=True)
    assert (await qr(catalogue, "P-1")).url.endswith("/guide/420502/P-1")
    assert (await qr(catalogue, "P-1", "420100")).url.endswith("/guide/420100/P-1")


async def test_only_published_visible_guides_have_codes(catalogue: Catalogue) -> None:
    await catalogue.create("D-1")
    await catalogue.create("X-1", publish=True)
    await catalogue.withdraw("X-1")
    await catalogue.create("W-1", "420100", draft("武汉事项", "420100-SCJG"), publish=True)
    for code in ("D-1", "X-1", "W-1", "NONE"):
        err = await catalogue.error("GetGuideQrCode", pb.GetGuideQrCodeRequest(site_code="420502", code=code))
        assert err.code == "MATTER_NOT_FOUND", code
    await catalogue.create("M-1", publish=True)
    err = await catalogue.error(
        "GetGuideQrCode", pb.GetGuideQrCodeRequest(site_code="420502", code="M-1", format=7)
    )
    assert err.code == "QR_FORMAT_INVALID"


def test_the_url_template_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert CatalogueSettings().guide_url_template == DEFAULT_GUIDE_URL_TEMPLATE
    monkeypatch.setenv(
        "GOVHALL_CATALOGUE_GUIDE_URL_TEMPLATE", "https://zwfw.hubei.gov.cn/bszn/{site_code}/{code}"
    )
    assert CatalogueSettings().guide_url_template.startswith("https://zwfw.hubei.gov.cn/")
    monkeypatch.setenv("GOVHALL_CATALOGUE_GUIDE_URL_TEMPLATE", "https://x/{site}/{code}")
    with pytest.raises(pydantic.ValidationError):
        CatalogueSettings()
