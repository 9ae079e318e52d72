// 我的办件: my cases by tab (待提交, 待补正, 审批中, 待评价, 已办结, 其他), each a card linking to
// its detail; a draft links to 继续申报 instead.

import { get } from "../api.js";
import { date, empty, h, pager, tabs } from "../ui.js";
import { mySpace } from "./layout.js";
import { CASE_TABS, caseStateTag, add } from "./case_labels.js";

export async function render(view) {
  const content = mySpace(view, "cases", "我的办件");
  const wanted = view.query.get("tab");
  const tab = CASE_TABS.some(([t]) => t === wanted) ? wanted : "in_progress";
  const first = await get("/api/v1/me/cases", { tab, page: 1, page_size: 20 });
  const counts = new Map((first.tabs || []).map((t) => [t.tab, Number(t.count) || 0]));
  const list = h("ul", { class: "cards me-list" });
  const more = h("div", {});
  const show = (body, page) => {
    list.append(...(body.cases || []).map(caseCard));
    const shown = list.children.length;
    more.replaceChildren();
    if (shown < (body.page?.total || 0)) {
      more.append(
        pager(page + 1, async (next) => show(await get("/api/v1/me/cases", { tab, page: next, page_size: 20 }), next)),
      );
    }
  };
  add(content, 
    tabs(
      "办件分类",
      CASE_TABS.map(([t, name]) => [`/me/cases?tab=${t}`, counts.has(t) ? `${name}（${counts.get(t)}）` : name, t]),
      tab,
    ),
  );
  if (!(first.cases || []).length) {
    add(content, empty("该分类下暂无办件。"), h("p", {}, h("a", { href: "/matters" }, "去办事")));
    return;
  }
  add(content, list, more);
  show(first, 1);
}

/** One case as a card: matter, numbers, state, dates, and where to go from it. */
export function caseCard(c) {
  const draft = c.state === "draft";
  const href = draft ? `/apply/case/${encodeURIComponent(c.id)}` : `/me/cases/${encodeURIComponent(c.id)}`;
  const name = c.matter_name || c.matter_code;
  return h(
    "li",
    { class: "card me-card" },
    h("h2", { class: "me-card-title" }, h("a", { href }, name)),
    h(
      "p",
      { class: "me-card-meta" },
      caseStateTag(c.state, c.state_zh),
      c.current_step_name && !draft ? h("span", {}, `当前环节：${c.current_step_name}`) : null,
    ),
    h(
      "dl",
      { class: "facts me-card-facts" },
      c.case_number ? [h("dt", {}, "办件编号"), h("dd", {}, c.case_number)] : null,
      c.application_number ? [h("dt", {}, "申报号"), h("dd", {}, c.application_number)] : null,
      c.department_name ? [h("dt", {}, "办理部门"), h("dd", {}, c.department_name)] : null,
      c.submitted_at ? [h("dt", {}, "提交时间"), h("dd", {}, date(c.submitted_at))] : [h("dt", {}, "创建时间"), h("dd", {}, date(c.created_at))],
      c.clock?.promised_due && !c.clock?.ended ? [h("dt", {}, "承诺办结"), h("dd", {}, c.clock.promised_due)] : null,
    ),
    h(
      "p",
      { class: "me-card-go" },
      h("a", { href, class: "btn", "aria-label": `${draft ? "继续申报" : "查看详情"}：${name}` }, draft ? "继续申报" : "查看详情"),
    ),
  );
}
