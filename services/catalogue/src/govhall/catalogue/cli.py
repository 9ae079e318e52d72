"""python -m govhall.catalogue.cli: catalogue administration without the gateway.

    import-matters FILE --site CODE [--publish] [--update-existing] [--report report.csv]
        import a matter implementation list (实施清单, .xlsx or .csv; the format is in
        services/catalogue/IMPORT.md) into one site: all of it, or nothing and a report
        of every problem by row and column
    generate-province [--matters-per-site 2000] [--seed 1] [--publish]
        generate a realistic province (湖北省: 151 sites, their departments and matters)
        and import it site by site, reporting the time taken
    republish
        write every site, department, matter and article ever published to the outbox again,
        for a consumer that joined after the streams dropped the history (see republish.py)

It works on the catalogue's database directly (GOVHALL_CATALOGUE_DATABASE_URL; unset: SQLite
under GOVHALL_VAR_DIR), migrating it first, through the catalogue's own service code acting as
a platform administrator: the same validation, the same transactions, and the same events in
the outbox, which the running catalogue service's relay publishes.

Exit codes: 0 done; 1 the file (or the data) was refused, or the import failed; 2 the command
line was wrong (unknown option, a site that does not exist, a report path that cannot be written).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Never, TextIO

from tqdm import tqdm

from govhall.catalogue import generator, importer, model
from govhall.catalogue.api import CatalogueService
from govhall.catalogue.app import SPEC
from govhall.catalogue.importer import Problem
from govhall.catalogue.republish import republish
from govhall.catalogue.settings import CatalogueSettings
from govhall.kit.caller import reset_caller, set_caller
from govhall.kit.db import Database
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.grpcclient import operator_caller
from govhall.kit.service import migrate
from govhall.kit.settings import PlatformSettings
from govhall.kit.trust import audit
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2

# A platform administrator named by their login: the audit lines name them (see `audit`).
CLI_ADMIN = operator_caller("catalogue CLI")
# More than this many problems go to --report only; the terminal shows the first ones.
SHOWN_PROBLEMS = 200


class UsageError(Exception):
    def __init__(self, message_zh: str, message: str) -> None:
        super().__init__(message)
        self.message_zh = message_zh
        self.message = message


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m govhall.catalogue.cli",
        description="catalogue administration: import matter lists, generate a test province",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    imp = commands.add_parser(
        "import-matters",
        help="import a matter implementation list (实施清单) from .xlsx or .csv",
        description="Import a matter list into one site: every row, or none (see services/catalogue/IMPORT.md).",
    )
    imp.add_argument("file", type=Path, help=".xlsx or .csv file")
    imp.add_argument("--site", required=True, help="the 6-digit code of the site the matters belong to")
    imp.add_argument("--publish", action="store_true", help="publish every imported matter")
    imp.add_argument(
        "--update-existing",
        action="store_true",
        help="replace matters that exist already (a new version) instead of refusing their codes",
    )
    imp.add_argument("--report", type=Path, help="write the problems found (if any) to this CSV file")
    gen = commands.add_parser(
        "generate-province",
        help="generate and import a realistic province (湖北省, 151 sites)",
        description="Generate 湖北省 (1 province, 16 cities, 134 counties) with departments and matters, "
        "and import it site by site.",
    )
    gen.add_argument("--matters-per-site", type=_positive, default=generator.DEFAULT_MATTERS_PER_SITE)
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--publish", action="store_true", help="publish every generated matter")
    gen.add_argument("--update-existing", action="store_true", help="replace matters generated before")
    gen.add_argument("--cities", type=_positive, help="only the first N cities (default: all 16)")
    gen.add_argument("--counties-per-city", type=_positive, help="only the first N counties of each city")
    commands.add_parser(
        "republish",
        help="send the current catalogue through the outbox again",
        description="Re-send every site, department, published or withdrawn matter and article as events.",
    )
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _bar(total: int, desc: str, unit: str) -> tqdm[Never]:  # a bar updated by hand iterates nothing
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, mininterval=0.2, leave=True)


@asynccontextmanager
async def _catalogue(
    settings: CatalogueSettings, platform: PlatformSettings, action: str
) -> AsyncIterator[CatalogueService]:
    """The catalogue service on its own database, called in-process as a platform administrator:
    whoever can run this holds the catalogue's database credentials, and is audited by login."""
    db = Database(settings.resolved_database_url(platform, SPEC.name))
    try:
        await migrate(db, SPEC)
        audit(SPEC.name, action, CLI_ADMIN, "cli")
        token = set_caller(CLI_ADMIN)
        try:
            yield CatalogueService(db, settings)
        finally:
            reset_caller(token)
    finally:
        await db.close()


# ---------------------------------------------------------------------------------------------
# import-matters


def _check_import_args(args: argparse.Namespace) -> None:
    try:
        model.check_site_code(args.site, "--site")
    except DomainError as err:
        raise UsageError(f"--site：{err.message_zh}", f"--site: {err.message}") from None
    if args.report is not None:
        parent = args.report.resolve().parent
        if not parent.is_dir():
            raise UsageError(
                f"报告文件的目录“{parent}”不存在", f"the report's directory {parent} does not exist"
            )
        if args.report.is_dir():
            raise UsageError(f"“{args.report}”是目录，请指定报告文件名", f"{args.report} is a directory")


async def _site(service: CatalogueService, code: str) -> pb.Site:
    try:
        return await service.GetSite(pb.GetSiteRequest(code=code), None)
    except DomainError as err:
        if err.kind is ErrorKind.NOT_FOUND:
            raise UsageError(f"站点“{code}”不存在", f"site {code} does not exist") from None
        raise


async def _precheck(service: CatalogueService, parsed: importer.ParsedFile, site: pb.Site) -> list[Problem]:
    """What the catalogue would also say about the rows that read cleanly, when other rows did not.

    ImportMatters is not called for a file with unreadable rows (it would write the good ones), so
    the guide rules and the site's departments are checked here with the catalogue's own rules,
    and the report lists every problem at once. Codes that exist already are checked only by
    ImportMatters, once the file reads cleanly.
    """
    departments = await service.ListDepartments(pb.ListDepartmentsRequest(site_code=site.code), None)
    own = {d.code for d in departments.departments}
    problems: list[Problem] = []
    for row in parsed.rows:
        request = row.request
        try:
            model.check_matter_code(request.code)
        except DomainError as err:
            problems.append(importer.locate_field(parsed, row.row, "code", err.message_zh, err.message))
        _, found = model.check_draft(request.draft)
        for f in found:
            problems.append(importer.locate_field(parsed, row.row, f.field, f.message_zh, f.message))
        code = request.draft.department_code
        if code and code not in own:
            problems.append(
                importer.locate_field(
                    parsed,
                    row.row,
                    "draft.department_code",
                    f"部门“{code}”不是{site.name}的部门",
                    f"department {code} is not a department of site {site.code}",
                )
            )
    return problems


def _print_problems(problems: Sequence[Problem], report: Path | None, out: TextIO) -> None:
    print(importer.format_report(problems, limit=SHOWN_PROBLEMS), file=out)
    if len(problems) > SHOWN_PROBLEMS and report is None:
        print("（完整列表请用 --report 写入CSV文件 / use --report for the full list）", file=out)


async def import_matters(
    args: argparse.Namespace, settings: CatalogueSettings, platform: PlatformSettings, out: TextIO
) -> int:
    _check_import_args(args)
    rows = importer.read_rows(args.file)
    async with _catalogue(settings, platform, f"import-matters --site {args.site}") as service:
        site = await _site(service, args.site)
        with _bar(importer.count_data_rows(rows), "读取 reading", "行") as bar:
            parsed = importer.parse_rows(rows, site.code, bar.update)
        problems = list(parsed.problems)
        written: pb.ImportMattersResponse | None = None
        if problems:
            problems += await _precheck(service, parsed, site)
            importer.sort_problems(parsed, problems)
        else:
            request = pb.ImportMattersRequest(
                site_code=site.code,
                items=[row.request for row in parsed.rows],
                publish=args.publish,
                update_existing=args.update_existing,
            )
            with _bar(len(parsed.rows), "写入 writing", "项") as bar:
                reply = await service.ImportMatters(request, None)
                if not reply.problems:
                    bar.update(len(parsed.rows))
            problems = importer.locate_problems(parsed, reply.problems)
            written = None if problems else reply
    if args.report is not None:
        importer.write_report(problems, args.report)
    if written is None:
        _print_problems(problems, args.report, out)
        print(
            f"未导入：文件有{len(problems)}个问题，没有写入任何事项 / "
            f"nothing imported: {len(problems)} problems in {args.file.name}",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    print(
        f"已导入{site.name}（{site.code}）事项{len(parsed.rows)}个：新建{written.created}个，"
        f"更新{written.updated}个，发布{written.published}个 / imported {len(parsed.rows)} matters "
        f"into {site.code}: {written.created} created, {written.updated} updated, {written.published} published",
        file=out,
    )
    return EXIT_OK


# ---------------------------------------------------------------------------------------------
# generate-province


async def generate_province(
    args: argparse.Namespace, settings: CatalogueSettings, platform: PlatformSettings, out: TextIO
) -> int:
    sites = generator.province_sites(args.cities, args.counties_per_city)
    total = len(sites) * args.matters_per_site
    started = time.perf_counter()
    generating = importing = 0.0
    departments = 0
    async with _catalogue(settings, platform, "generate-province") as service:
        with _bar(total, "生成并导入 generating", "项") as bar:
            for spec in sites:
                bar.set_postfix_str(f"{spec.code} {spec.name}", refresh=False)
                t0 = time.perf_counter()
                batch = generator.generate_site(spec, matters=args.matters_per_site, seed=args.seed)
                t1 = time.perf_counter()
                await service.UpsertSite(batch.site, None)
                for dept in batch.departments:
                    await service.UpsertDepartment(dept, None)
                reply = await service.ImportMatters(
                    pb.ImportMattersRequest(
                        site_code=spec.code,
                        items=batch.matters,
                        publish=args.publish,
                        update_existing=args.update_existing,
                    ),
                    None,
                )
                generating += t1 - t0
                importing += time.perf_counter() - t1
                if reply.problems:
                    bar.close()
                    print(
                        f"站点{spec.code}（{spec.name}）的事项未能导入 / site {spec.code} refused:", file=out
                    )
                    for p in reply.problems[:20]:
                        print(f"  第{p.item + 1}项 {p.field}：{p.message_zh} / {p.message}", file=out)
                    if any("已存在" in p.message_zh for p in reply.problems):
                        print(
                            "数据库中已有这些事项：请使用新的数据库，或加 --update-existing / "
                            "the matters exist already: use a fresh database or --update-existing",
                            file=sys.stderr,
                        )
                    return EXIT_REFUSED
                departments += len(batch.departments)
                bar.update(len(batch.matters))
    elapsed = time.perf_counter() - started
    print(
        f"已生成并导入{len(sites)}个站点、{departments}个部门、{total}个事项"
        f"{'（均已发布）' if args.publish else ''}，用时{elapsed:.1f}秒"
        f"（生成{generating:.1f}秒，导入{importing:.1f}秒，{total / elapsed:.0f}项/秒） / "
        f"{len(sites)} sites, {departments} departments, {total} matters in {elapsed:.1f} s "
        f"(generate {generating:.1f} s, import {importing:.1f} s, {total / elapsed:.0f} matters/s)",
        file=out,
    )
    return EXIT_OK


# ---------------------------------------------------------------------------------------------
# republish


async def republish_all(settings: CatalogueSettings, platform: PlatformSettings, out: TextIO) -> int:
    # Reads and the outbox only, no service call: the database credentials are the authority,
    # and the line in the audit log says who used them.
    db = Database(settings.resolved_database_url(platform, SPEC.name))
    try:
        await migrate(db, SPEC)
        audit(SPEC.name, "republish", CLI_ADMIN, "cli")
        done = await republish(db)
    finally:
        await db.close()
    print(
        f"已重新发布{done.sites}个站点、{done.departments}个部门、{done.matters}个事项、{done.articles}篇文章 / "
        f"republished {done.sites} sites, {done.departments} departments, {done.matters} matters, "
        f"{done.articles} articles (the running catalogue's relay sends them)",
        file=out,
    )
    return EXIT_OK


# ---------------------------------------------------------------------------------------------


async def run(
    args: argparse.Namespace,
    settings: CatalogueSettings | None = None,
    platform: PlatformSettings | None = None,
    out: TextIO | None = None,
) -> int:
    settings = settings or CatalogueSettings()
    platform = platform or PlatformSettings()
    out = out or sys.stdout
    if args.command == "import-matters":
        return await import_matters(args, settings, platform, out)
    if args.command == "republish":
        return await republish_all(settings, platform, out)
    return await generate_province(args, settings, platform, out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has printed the usage: 2 for errors, 0 for --help
        return int(exit_.code or 0)
    try:
        return asyncio.run(run(args))
    except UsageError as err:
        print(f"用法错误：{err.message_zh}（{err.message}）", file=sys.stderr)
        return EXIT_USAGE
    except importer.FileUnreadable as err:
        print(f"无法导入：{err.message_zh}（{err.message}）", file=sys.stderr)
        return EXIT_REFUSED
    except DomainError as err:
        print(f"错误 {err.code}：{err.message_zh}（{err.message}）", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print("已中断，未完成的导入没有写入 / interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # the database is down, a disk is full…: a message, not a traceback
        log.debug("catalogue CLI failed", exc_info=True)
        print(f"失败：{type(err).__name__}: {err}", file=sys.stderr)
        return EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(main())
