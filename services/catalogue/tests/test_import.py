"""Importing a matter implementation list (实施清单): the file format, the row-level report, and
the CLI end to end on SQLite and PostgreSQL (nothing written unless the whole file is clean)."""

from __future__ import annotations

import asyncio
import csv
import re
import zipfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from govhall.catalogue import cli, generator, importer, model
from govhall.catalogue.api import CatalogueService
from govhall.catalogue.app import SPEC
from govhall.catalogue.importer import Problem
from govhall.catalogue.settings import CatalogueSettings
from govhall.kit.caller import reset_caller, set_caller
from govhall.kit.db import Database
from govhall.kit.service import migrate
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.common.v1 import common_pb2

ROOT = Path(__file__).resolve().parents[1]
SITE = "420502"  # 西陵区, under 宜昌市
ADMIN = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_ADMIN, subject="test")


@contextmanager
def as_admin() -> Iterator[None]:
    token = set_caller(ADMIN)
    try:
        yield
    finally:
        reset_caller(token)


def good_rows(count: int = 6) -> tuple[generator.SiteBatch, list[dict[str, str]]]:
    batch = generator.generate_site(generator.site_spec(SITE), matters=count, seed=1)
    return batch, [importer.format_row(m, hours=batch.hours) for m in batch.matters]


def write_csv(
    path: Path, rows: list[dict[str, str]], *, header: list[str] | None = None, encoding: str = "utf-8"
) -> Path:
    header = header or list(importer.WRITTEN_COLUMNS)
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(h, "") for h in header])
    return path


def triples(problems: list[Problem]) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.message_zh) for p in problems]


# ---------------------------------------------------------------------------------------------
# The format, without a database


@pytest.mark.parametrize(
    ("name", "encoding"),
    [("list.xlsx", ""), ("list.csv", "utf-8-sig"), ("list.csv", "utf-8"), ("list.csv", "gb18030")],
)
def test_a_written_list_reads_back_exactly(tmp_path: Path, name: str, encoding: str) -> None:
    batch = generator.generate_site(generator.site_spec(SITE), matters=60, seed=3)
    path = tmp_path / name
    importer.write_matter_list(
        path, batch.matters, hours=batch.hours, encoding=encoding or "utf-8", title="西陵区实施清单"
    )
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")  # really not UTF-8
    parsed = importer.parse_file(path, SITE)
    assert parsed.problems == []
    assert parsed.header_row == 2  # under the title row
    assert [r.row for r in parsed.rows] == list(range(3, 63))
    assert [r.request for r in parsed.rows] == list(batch.matters)


def test_every_cell_syntax_is_understood() -> None:
    cells = {
        "实施编码": "420502-GA-0001",
        "事项名称": "居民身份证换领",
        "基本编码": "010002000000",
        "事项类型": "其他权力",
        "服务对象": "个人、企业",
        "服务对象细分": "老年人，残疾人",
        "实施部门编码": "420502-GA",
        "办件类型": "承诺",
        "法定办结时限": "30天",
        "承诺办结时限": "10工作日",
        "是否收费": "",
        "收费项目": "工本费|12.5|依据|按件；加急费|20元",
        "申请材料": "户口簿；身份证|电子||必要|电子证照:11100000000013338W011；委托书|原件及复印件|2|情形必要|自备|代办时|清晰",
        "办理情形": "[多选]有哪些情况？|代办=M03,#agent|本人",
        "办理环节": "受理|受理人员|1个工作日\n审核|reviewer||核实\n决定|决定人员|2",
        "办理地点": "西陵区政务服务中心|夷陵大道1号|二楼\n户政大厅||一楼|周六 9:00-12:00|0717-1",
        "办理时间": "工作日 9:00-17:00",
        "网办深度": "全程网办",
        "到现场次数": "0次",
        "是否可预约": "Y",
        "是否网上申报": "1",
        "是否快递送达": "false",
        "主题分类": "证件办理/户籍办理",
        "生命周期": "出生\n就业",
        "审批结果": "居民身份证",
    }
    request, problems = importer.parse_row(cells, SITE)
    assert problems == []
    d = request.draft
    assert (request.code, request.site_code, d.type) == ("420502-GA-0001", SITE, pb.MATTER_TYPE_OTHER_POWER)
    assert list(d.audiences) == [pb.AUDIENCE_PERSON, pb.AUDIENCE_LEGAL_PERSON]
    assert list(d.sub_audiences) == ["老年人", "残疾人"]
    assert d.handling_type == pb.HANDLING_TYPE_PROMISED
    assert (d.legal_limit.value, d.legal_limit.unit) == (30, common_pb2.TIME_LIMIT_UNIT_NATURAL_DAY)
    assert (d.promised_limit.value, d.promised_limit.unit) == (10, common_pb2.TIME_LIMIT_UNIT_WORKING_DAY)
    assert d.fees.charged
    assert [(i.name, i.amount.amount_fen, i.basis, i.note) for i in d.fees.items] == [
        ("工本费", 1250, "依据", "按件"),
        ("加急费", 2000, "", ""),
    ]
    assert [(m.code, m.name, m.form, m.copies, m.necessity, m.source) for m in d.materials] == [
        (
            "M01",
            "户口簿",
            pb.MATERIAL_FORM_ORIGINAL,
            1,
            pb.MATERIAL_NECESSITY_REQUIRED,
            pb.MATERIAL_SOURCE_APPLICANT,
        ),
        (
            "M02",
            "身份证",
            pb.MATERIAL_FORM_ELECTRONIC,
            0,
            pb.MATERIAL_NECESSITY_REQUIRED,
            pb.MATERIAL_SOURCE_LICENCE,
        ),
        (
            "M03",
            "委托书",
            pb.MATERIAL_FORM_ORIGINAL_AND_COPY,
            2,
            pb.MATERIAL_NECESSITY_CONDITIONAL,
            pb.MATERIAL_SOURCE_APPLICANT,
        ),
    ]
    assert d.materials[1].licence_type_code == "11100000000013338W011"
    assert (d.materials[2].condition, d.materials[2].acceptance_standard) == ("代办时", "清晰")
    situation = d.situations[0]
    assert (situation.code, situation.question, situation.multiple) == ("S1", "有哪些情况？", True)
    assert [(o.code, o.label, list(o.material_codes), list(o.form_sections)) for o in situation.options] == [
        ("S1A", "代办", ["M03"], ["agent"]),
        ("S1B", "本人", [], []),
    ]
    assert [(s.code, s.name, s.role, s.time_limit_days, s.description) for s in d.steps] == [
        ("step1", "受理", "window_clerk", 1, ""),
        ("step2", "审核", "reviewer", 0, "核实"),
        ("step3", "决定", "approver", 2, ""),
    ]
    assert [(p.name, p.address, p.window, p.hours, p.phone) for p in d.places] == [
        ("西陵区政务服务中心", "夷陵大道1号", "二楼", "工作日 9:00-17:00", ""),
        ("户政大厅", "", "一楼", "周六 9:00-12:00", "0717-1"),
    ]
    assert (d.online_depth, d.visits, d.appointment, d.online_application, d.express_delivery) == (
        4,
        0,
        True,
        True,
        False,
    )
    assert list(d.themes) == ["证件办理", "户籍办理"] and list(d.life_events) == ["出生", "就业"]
    assert d.result_name == "居民身份证" and d.base_code == "010002000000"


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        (
            "事项类型",
            "许可",
            "事项类型“许可”无效，应为行政许可、行政给付、行政确认、行政裁决、行政奖励、其他行政权力、公共服务",
        ),
        ("服务对象", "自然人、游客", "服务对象“游客”无效，应为自然人、法人"),
        ("办件类型", "加急件", "办件类型“加急件”无效，应为即办件、承诺件"),
        ("法定办结时限", "二十天", "时限“二十天”无法识别，应写作“20”“20个工作日”或“30个自然日”"),
        ("是否可预约", "可以", "“可以”不是“是”或“否”"),
        ("网办深度", "5", "“5”应为1至4之间的整数"),
        ("到现场次数", "3次", "“3次”应为0至2之间的整数"),
        ("收费项目", "工本费|二十元", "第1项：金额“二十元”无法识别，应写作“20”或“12.5元”"),
        ("收费项目", "工本费", "第1项：请填写收费金额"),
        (
            "申请材料",
            "申请表；身份证|扫描件",
            "第2项：材料形式“扫描件”无效，应为原件、复印件、原件和复印件、电子",
        ),
        ("申请材料", "|原件", "第1项：材料名称不能为空"),
        (
            "申请材料",
            "申请表|原件|1|必要|别人给的",
            "第1项：材料来源“别人给的”无效，应为申请人自备、政府部门核发、电子证照:<证照类型编码>",
        ),
        ("申请材料", "a|b|c|d|e|f|g|h", "第1项：有8个字段，材料最多7个字段（以“|”分隔）"),
        ("办理情形", "是否代办？|是=9|否", "第1项：选项“是”引用的材料“9”不在申请材料中（共1项）"),
        ("办理情形", "是否代办？|是", "第1项：情形应至少有两个选项，写作“问题|选项|选项=材料序号”"),
        ("办理环节", "受理|保安", "第1项：办理角色“保安”无效，应为窗口受理人员、审核人员、审批人员"),
        (
            "申请表单",
            "{not json",
            "申请表单不是有效的JSON：Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
    ],
)
def test_a_bad_cell_is_reported_with_its_column(column: str, value: str, reason: str) -> None:
    cells = {
        "实施编码": "X-1",
        "事项名称": "某事项",
        "事项类型": "行政许可",
        "服务对象": "自然人",
        "实施部门编码": "D",
        "办件类型": "即办件",
        "申请材料": "申请表",
    }
    cells[column] = value
    _, problems = importer.parse_row(cells, SITE)
    assert [(c, zh) for c, zh, _ in problems] == [(column, reason)]


def test_headers_are_checked_once(tmp_path: Path) -> None:
    path = tmp_path / "headers.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["序号", " *实施编码 ", "事项名称", "事项类型", "服务对象", "办理时限", "事项编码", ""]
        )
        writer.writerow(["1", "A-1", "甲", "公共服务", "自然人", "5", "", ""])
        writer.writerow(["2", "A-2", "乙", "公共服务", "自然人", "", "", "多余"])
        writer.writerow(["3", "A-3", "丙", "公共服务", "自然人", "", "", "又多余"])
    parsed = importer.parse_file(path, SITE)
    assert triples(parsed.problems) == [
        (1, "办理时限", "未知的列“办理时限”"),
        (1, "事项编码", "列“事项编码”与“*实施编码”重复"),
        (1, "实施部门编码", "缺少必填列“实施部门编码”"),
        (1, "办件类型", "缺少必填列“办件类型”"),
        (3, "第H列", "第H列没有列名，但有内容"),
    ]
    # Rows 2 and 4 are fine as far as they go; the missing columns are reported once, not per row.
    assert [r.row for r in parsed.rows] == [2, 4]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("missing.xlsx", None, "文件“{path}”不存在"),
        ("list.txt", b"a,b", "不支持的文件类型“.txt”，请使用.xlsx或.csv文件"),
        ("list.xls", b"\xd0\xcf\x11\xe0", "不支持旧版Excel（.xls）文件，请在Excel中另存为.xlsx后再导入"),
        ("broken.xlsx", b"this is not a zip", "无法读取Excel文件“broken.xlsx”：文件已损坏或不是.xlsx格式"),
        (
            "utf16.csv",
            "实施编码,事项名称\n".encode("utf-16"),
            "无法识别文件“utf16.csv”的编码，请保存为UTF-8或GB18030编码的CSV",
        ),
    ],
)
def test_an_unreadable_file_says_why(tmp_path: Path, name: str, content: bytes | None, reason: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(importer.FileUnreadable) as caught:
        importer.read_rows(path)
    assert caught.value.message_zh == reason.format(path=path)


def test_a_zip_that_is_not_a_workbook_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(importer.FileUnreadable) as caught:
        importer.read_rows(path)
    assert "文件已损坏或不是.xlsx格式" in caught.value.message_zh


def test_an_empty_file_and_a_header_alone_are_problems(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert triples(importer.parse_file(empty, SITE).problems) == [(0, "", "文件是空的")]
    header_only = write_csv(tmp_path / "header.csv", [])
    assert triples(importer.parse_file(header_only, SITE).problems) == [(1, "", "表头之后没有任何事项")]


def test_numeric_excel_cells_read_as_written(tmp_path: Path) -> None:
    from openpyxl import Workbook

    _, rows = good_rows(1)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    header = list(importer.WRITTEN_COLUMNS)
    sheet.append(header)
    values: list[Any] = [rows[0][h] for h in header]
    values[header.index("基本编码")] = 1002000000  # Excel dropped the leading zeros
    values[header.index("网办深度")] = 4.0
    values[header.index("到现场次数")] = 0
    values[header.index("是否可预约")] = True
    sheet.append(values)
    path = tmp_path / "numbers.xlsx"
    workbook.save(path)
    parsed = importer.parse_file(path, SITE)
    assert parsed.problems == []
    draft = parsed.rows[0].request.draft
    assert (draft.base_code, draft.online_depth, draft.visits, draft.appointment) == (
        "001002000000",
        4,
        0,
        True,
    )


def test_the_catalogues_problems_land_on_rows_and_columns() -> None:
    parsed = importer.ParsedFile(
        header_row=2,
        headers={"申请材料": "*申请材料", "实施编码": "实施编码", "收费项目": "收费项目"},
        rows=[
            importer.ParsedRow(3, pb.CreateMatterRequest()),
            importer.ParsedRow(5, pb.CreateMatterRequest()),
        ],
    )
    located = importer.locate_problems(
        parsed,
        [
            pb.ImportProblem(
                item=1, field="draft.materials[2].name", message="is required", message_zh="请填写材料名称"
            ),
            pb.ImportProblem(item=0, field="code", message="exists", message_zh="事项编码“X”已存在"),
            pb.ImportProblem(
                item=1,
                field="draft.fees.items[0].amount.currency",
                message="CNY",
                message_zh="收费币种应为人民币（CNY）",
            ),
            pb.ImportProblem(
                item=1, field="draft.fees.charged", message="m", message_zh="已列收费项目，请勾选收费"
            ),
            pb.ImportProblem(
                item=0,
                field="draft.situations[0].options[1].material_codes[0]",
                message="m",
                message_zh="申请材料“M09”不存在",
            ),
            pb.ImportProblem(item=1, field="draft.guide.notice", message="m", message_zh="太长"),
            pb.ImportProblem(item=1, field="", message="more", message_zh="另有3处问题未列出"),
        ],
    )
    assert triples(located) == [
        (3, "实施编码", "事项编码“X”已存在"),
        (3, "办理情形", "第1项：申请材料“M09”不存在"),
        (5, "*申请材料", "第3项：请填写材料名称"),
        (5, "收费项目", "第1项：收费币种应为人民币（CNY）"),
        (5, "是否收费", "已列收费项目，请勾选收费"),
        (5, "申报须知", "太长"),
        (5, "", "另有3处问题未列出"),
    ]


def test_the_example_in_import_md_reads_and_validates(tmp_path: Path) -> None:
    text = (ROOT / "IMPORT.md").read_text(encoding="utf-8")
    example = re.search(r"```csv\n(.*?)```", text, re.S)
    assert example is not None
    path = tmp_path / "example.csv"
    path.write_text(example.group(1), encoding="utf-8")
    parsed = importer.parse_file(path, SITE)
    assert parsed.problems == []
    assert [r.row for r in parsed.rows] == [3, 4]
    for row in parsed.rows:
        assert model.check_draft(row.request.draft)[1] == []
    id_card = parsed.rows[1].request.draft
    assert [m.necessity for m in id_card.materials] == [
        pb.MATERIAL_NECESSITY_REQUIRED,
        pb.MATERIAL_NECESSITY_CONDITIONAL,
        pb.MATERIAL_NECESSITY_CONDITIONAL,
    ]
    assert id_card.fees.items[0].amount.amount_fen == 2000


def test_the_report_table_and_csv(tmp_path: Path) -> None:
    problems = [Problem(3, "事项类型", "事项类型无效", "bad type"), Problem(0, "", "文件是空的", "empty")]
    table = importer.format_report(problems)
    assert table.splitlines()[0].split("|")[0].strip() == "行"
    assert "3  | 事项类型 | 事项类型无效 / bad type" in table
    report = tmp_path / "report.csv"
    importer.write_report(problems, report)
    assert report.read_bytes().startswith(b"\xef\xbb\xbf")
    assert importer.read_report(report) == problems


# ---------------------------------------------------------------------------------------------
# The CLI against a real database


class Catalogue:
    """The catalogue service in-process on the test's database, called as a platform admin."""

    def __init__(self, db: Database) -> None:
        self.service = CatalogueService(db, CatalogueSettings())

    async def call(self, name: str, request: Any) -> Any:
        with as_admin():
            return await getattr(self.service, name)(request, None)

    async def count(
        self, status: pb.MatterStatus.ValueType = pb.MATTER_STATUS_PUBLISHED, site: str = SITE
    ) -> int:
        reply = await self.call(
            "ListMatters",
            pb.ListMattersRequest(
                site_code=site, own_site_only=True, status=status, page=common_pb2.PageRequest(page_size=1)
            ),
        )
        return int(reply.page.total)

    async def codes(self, status: pb.MatterStatus.ValueType, site: str = SITE) -> set[str]:
        found: set[str] = set()
        page = 1
        while True:
            reply = await self.call(
                "ListMatters",
                pb.ListMattersRequest(
                    site_code=site,
                    own_site_only=True,
                    status=status,
                    page=common_pb2.PageRequest(page=page, page_size=100),
                ),
            )
            found |= {m.code for m in reply.matters}
            if page * 100 >= reply.page.total:
                return found
            page += 1


@pytest.fixture
async def catalogue(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Catalogue]:
    """西陵区 with its ancestors and all their generated departments; the CLI sees the same database."""
    monkeypatch.setenv("GOVHALL_CATALOGUE_DATABASE_URL", db_url)
    monkeypatch.setenv("GOVHALL_VAR_DIR", str(tmp_path / "var"))
    db = Database(db_url)
    await migrate(db, SPEC)
    c = Catalogue(db)
    for spec in generator.site_chain(SITE):
        await c.call("UpsertSite", spec.request())
        for dept in generator.site_departments(spec, seed=1):
            await c.call("UpsertDepartment", dept.request())
    yield c
    await db.close()


async def run_cli(*argv: str | Path) -> int:
    # main() runs its own event loop, as from a shell; a worker thread keeps it off the test's loop.
    return await asyncio.to_thread(cli.main, [str(a) for a in argv])


def bad_file(tmp_path: Path) -> Path:
    """A list with one problem of each kind, in rows 3-8 (row 2 is good, and so is row 9)."""
    _, rows = good_rows(8)
    rows[1]["事项类型"] = "许可"  # row 3
    rows[2]["事项名称"] = ""  # row 4
    rows[3]["申请材料"] = "申请表；身份证|扫描件"  # row 5
    rows[3]["办理情形"] = ""
    rows[4]["实施编码"] = rows[0]["实施编码"]  # row 6
    rows[5]["实施部门编码"] = "420500-GA"  # row 7: a department of 宜昌市
    rows[6]["主题分类"] = "不存在的主题"  # row 8: the catalogue's rule
    header = [*importer.WRITTEN_COLUMNS, "办理时限"]
    rows[0]["办理时限"] = "5"
    return write_csv(tmp_path / "bad.csv", rows, header=header)


BAD_FILE_REPORT = [
    (1, "办理时限", "未知的列“办理时限”"),
    (
        3,
        "事项类型",
        "事项类型“许可”无效，应为行政许可、行政给付、行政确认、行政裁决、行政奖励、其他行政权力、公共服务",
    ),
    (4, "事项名称", "事项名称不能为空"),
    (5, "申请材料", "第2项：材料形式“扫描件”无效，应为原件、复印件、原件和复印件、电子"),
    (6, "实施编码", "实施编码“{first}”与第2行重复"),
    (7, "实施部门编码", "部门“420500-GA”不是西陵区的部门"),
    (8, "主题分类", "“不存在的主题”不在服务对象适用的主题分类中"),
]


async def test_a_bad_file_is_refused_with_every_problem_and_nothing_is_written(
    catalogue: Catalogue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.csv"
    first_code = good_rows(8)[1][0]["实施编码"]
    assert (
        await run_cli("import-matters", bad_file(tmp_path), "--site", SITE, "--publish", "--report", report)
        == 1
    )
    assert triples(importer.read_report(report)) == [
        (r, c, m.replace("{first}", first_code)) for r, c, m in BAD_FILE_REPORT
    ]
    out, err = capsys.readouterr()
    assert f"6  | 实施编码     | 实施编码“{first_code}”与第2行重复" in out
    assert "未导入：文件有7个问题，没有写入任何事项" in err
    assert "Traceback" not in out + err
    assert await catalogue.count(pb.MATTER_STATUS_PUBLISHED) == 0
    assert await catalogue.count(pb.MATTER_STATUS_DRAFT) == 0


async def test_the_catalogues_own_refusal_is_mapped_back_to_the_file(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    batch, rows = good_rows(5)
    # Clean as a file, refused by the catalogue: the code exists already, a department of another site.
    await catalogue.call("CreateMatter", batch.matters[3])
    rows[1]["实施部门编码"] = "420500-GA"
    path = write_csv(tmp_path / "list.csv", rows)
    report = tmp_path / "report.csv"
    assert await run_cli("import-matters", path, "--site", SITE, "--report", report) == 1
    assert triples(importer.read_report(report)) == [
        (3, "实施部门编码", "部门“420500-GA”不是西陵区的部门"),
        (5, "实施编码", f"事项编码“{batch.matters[3].code}”已存在"),
    ]
    assert await catalogue.codes(pb.MATTER_STATUS_DRAFT) == {batch.matters[3].code}


async def test_a_good_2000_row_workbook_is_imported_and_published(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    path = tmp_path / "西陵区实施清单.xlsx"
    batch = generator.write_matter_file(path, site_code=SITE, rows=2000, seed=1)
    report = tmp_path / "report.csv"
    assert await run_cli("import-matters", path, "--site", SITE, "--publish", "--report", report) == 0
    assert importer.read_report(report) == []
    assert await catalogue.codes(pb.MATTER_STATUS_PUBLISHED) == {m.code for m in batch.matters}
    assert await catalogue.count(pb.MATTER_STATUS_DRAFT) == 0
    sample = batch.matters[1234]
    shown = await catalogue.call("GetMatter", pb.GetMatterRequest(site_code=SITE, code=sample.code))
    assert shown.draft.name == sample.draft.name
    assert [m.name for m in shown.draft.materials] == [m.name for m in sample.draft.materials]

    # Again: every code exists; with --update-existing each matter gets a new version instead.
    assert await run_cli("import-matters", path, "--site", SITE, "--report", report) == 1
    refused = importer.read_report(report)
    # The catalogue lists the first 1,000 problems and says how many more there are.
    assert len(refused) == 1001
    assert {p.column for p in refused[:1000]} == {"实施编码"}
    assert refused[1000].message_zh == "另有1000处问题未列出，请修正后重新导入"
    assert await run_cli("import-matters", path, "--site", SITE, "--update-existing") == 0
    versions = await catalogue.call(
        "ListMatterVersions", pb.ListMatterVersionsRequest(site_code=SITE, code=sample.code)
    )
    assert [v.version for v in versions.versions] == [2, 1]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
async def test_csv_with_bom_and_gb18030_import_as_drafts(
    catalogue: Catalogue, tmp_path: Path, encoding: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "list.csv"
    batch = generator.write_matter_file(path, site_code=SITE, rows=40, seed=1, encoding=encoding)
    assert await run_cli("import-matters", path, "--site", SITE) == 0
    assert "已导入西陵区（420502）事项40个：新建40个，更新0个，发布0个" in capsys.readouterr().out
    assert await catalogue.codes(pb.MATTER_STATUS_DRAFT) == {m.code for m in batch.matters}
    assert await catalogue.count(pb.MATTER_STATUS_PUBLISHED) == 0


async def test_exit_codes_and_messages(
    catalogue: Catalogue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.csv"
    generator.write_matter_file(good, site_code=SITE, rows=3, seed=1)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really")
    (tmp_path / "list.ods").write_bytes(b"PK")
    cases: list[tuple[list[str | Path], int, str]] = [
        (["import-matters", good], 2, "the following arguments are required: --site"),
        (["import-matters", good, "--site", "4205"], 2, "用法错误：--site：站点编码应为6位行政区划代码"),
        (["import-matters", good, "--site", "429999"], 2, "用法错误：站点“429999”不存在"),
        (
            ["import-matters", good, "--site", SITE, "--report", tmp_path / "no" / "r.csv"],
            2,
            "报告文件的目录",
        ),
        (["import-matters", tmp_path / "nothing.xlsx", "--site", SITE], 1, "无法导入：文件"),
        (
            ["import-matters", broken, "--site", SITE],
            1,
            "无法导入：无法读取Excel文件“broken.xlsx”：文件已损坏或不是.xlsx格式",
        ),
        (["import-matters", tmp_path / "list.ods", "--site", SITE], 1, "无法导入：不支持的文件类型“.ods”"),
        (["generate-province", "--matters-per-site", "0"], 2, "must be at least 1"),
        (["no-such-command"], 2, "invalid choice"),
    ]
    for argv, code, message in cases:
        assert await run_cli(*argv) == code, argv
        out, err = capsys.readouterr()
        assert message in err, (argv, err)
        assert "Traceback" not in out + err
    assert await catalogue.count(pb.MATTER_STATUS_DRAFT) == 0
