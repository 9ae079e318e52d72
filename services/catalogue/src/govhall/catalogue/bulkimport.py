"""ImportMatters: many matters of one site, all or nothing.

Every item is checked before anything is written: its code, duplicates within the request, its
guide (the same rules as CreateMatter), its department, and whether the code exists already.
Any problem and the response lists them all, by item and field, with nothing written. Otherwise
everything is written in one transaction with a handful of bulk statements (no round trip per
item), so a county's 2,000-matter list imports in seconds, and a province of 151 such lists in
one generator run.
"""

from __future__ import annotations

import sqlalchemy as sa

from govhall.catalogue import access, events, model, store
from govhall.catalogue.store import LoadedMatter
from govhall.kit.db import Database
from govhall.kit.errors import DomainError, ErrorKind, FieldError
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

MAX_ITEMS = 5_000
# The response must fit a client's default 4 MB message limit, whatever the file looked like.
MAX_PROBLEMS = 1_000


def _problem(item: int, field: str, en: str, zh: str) -> pb.ImportProblem:
    return pb.ImportProblem(item=item, field=field, message=en, message_zh=zh)


def _check_items(request: pb.ImportMattersRequest) -> tuple[list[pb.MatterDraft], list[pb.ImportProblem]]:
    """The checks that need no database: codes, duplicates, guides. Returns clean drafts by item."""
    problems: list[pb.ImportProblem] = []
    drafts: list[pb.MatterDraft] = []
    first_at: dict[str, int] = {}
    for i, item in enumerate(request.items):
        if item.site_code and item.site_code != request.site_code:
            problems.append(
                _problem(
                    i,
                    "site_code",
                    f"item is for site {item.site_code}, the import for {request.site_code}",
                    f"该事项属于站点“{item.site_code}”，与导入站点“{request.site_code}”不一致",
                )
            )
        try:
            model.check_matter_code(item.code)
        except DomainError as err:
            problems.append(_problem(i, "code", err.message, err.message_zh))
        else:
            if item.code in first_at:
                j = first_at[item.code]
                problems.append(
                    _problem(
                        i,
                        "code",
                        f"matter code {item.code} is also item {j}",
                        f"事项编码“{item.code}”与第{j + 1}项重复",
                    )
                )
            else:
                first_at[item.code] = i
        clean, found = model.check_draft(item.draft)
        problems.extend(_problem(i, f.field, f.message, f.message_zh) for f in found)
        drafts.append(clean)
    return drafts, problems


def _reply(problems: list[pb.ImportProblem]) -> pb.ImportMattersResponse:
    problems.sort(key=lambda p: p.item)  # stable: within an item, fields stay in the order checked
    shown = problems[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        shown.append(
            _problem(
                problems[MAX_PROBLEMS].item,
                "",
                f"... and {more} more problems; fix these and import again",
                f"另有{more}处问题未列出，请修正后重新导入",
            )
        )
    return pb.ImportMattersResponse(problems=shown)


async def import_matters(db: Database, request: pb.ImportMattersRequest) -> pb.ImportMattersResponse:
    if len(request.items) > MAX_ITEMS:
        raise DomainError(
            "IMPORT_TOO_LARGE",
            f"import at most {MAX_ITEMS} matters at a time",
            f"每次最多导入{MAX_ITEMS}个事项",
            ErrorKind.INVALID,
            [FieldError("items", f"at most {MAX_ITEMS}", f"最多{MAX_ITEMS}项")],
        )
    async with db.reader() as uow:
        site = await access.site_or_404(uow, request.site_code)
    # Refuse strangers before spending time on their items.
    access.require_admin(site)
    drafts, problems = _check_items(request)
    codes = [item.code for item in request.items]

    async with db.uow() as uow:
        site = await access.site_or_404(uow, request.site_code)
        departments = await store.department_names(uow, site.code)
        loaded = await store.load_states(uow, codes, for_update=True)
        for i, (item, draft) in enumerate(zip(request.items, drafts, strict=True)):
            if draft.department_code and draft.department_code not in departments:
                problems.append(
                    _problem(
                        i,
                        "draft.department_code",
                        f"department {draft.department_code} is not a department of site {site.code}",
                        f"部门“{draft.department_code}”不是{site.name}的部门",
                    )
                )
            existing = loaded.get(item.code)
            if existing is None:
                continue
            if existing.state.site_code != site.code:
                problems.append(
                    _problem(
                        i,
                        "code",
                        f"matter {item.code} exists at site {existing.state.site_code}",
                        f"事项编码“{item.code}”已被其他站点使用",
                    )
                )
            elif not request.update_existing:
                problems.append(
                    _problem(i, "code", f"matter {item.code} already exists", f"事项编码“{item.code}”已存在")
                )
        if problems:
            return _reply(problems)  # leaving the block rolls back: nothing was written

        now = store.now()
        reply = pb.ImportMattersResponse()
        changed: list[LoadedMatter] = []
        for item, draft in zip(request.items, drafts, strict=True):
            existing = loaded.get(item.code)
            if existing is None:
                entry = LoadedMatter(model.new_matter(item.code, site.code, draft, now), 0)
                reply.created += 1
            else:
                entry = existing
                model.edit_matter(entry.state, draft, now)
                reply.updated += 1
            if request.publish:
                model.publish_matter(entry.state, now)
                reply.published += 1
            changed.append(entry)
        try:
            await store.save_states(uow, changed)
        except sa.exc.IntegrityError as exc:  # a code created by a concurrent request since the check
            raise DomainError(
                "MATTER_CODE_TAKEN",
                "some matter codes were created meanwhile by another request; import again",
                "部分事项编码已被同时进行的其他操作使用，请重新导入",
                ErrorKind.CONFLICT,
            ) from exc
        if request.publish:
            for entry in changed:
                state = entry.state
                assert state.published is not None
                view = store.matter_message(
                    state, state.published, site, departments[state.published.draft.department_code]
                )
                uow.emit(events.matter_published(view))
        await uow.commit()
    return reply
