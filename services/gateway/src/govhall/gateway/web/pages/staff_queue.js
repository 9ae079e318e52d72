// 待办办件: the cases my roles can act on now, filtered by state, card and number or name.

import { account, get } from "../api.js";
import { empty, field, h, table, time } from "../ui.js";
import { workbench } from "./layout.js";
import { CARDS, OPEN_CASE_STATES, ROLE_ZH, card, pages, withQuery } from "./staff_common.js";

export async function render(view) {
  const content = workbench(view, "queue", "待办办件");
  content.classList.add("staff");
  const q = view.query;
  const state = OPEN_CASE_STATES.some(([k]) => k === q.get("state")) ? q.get("state") : "";
  const level = CARDS.some(([k]) => k === q.get("level")) ? q.get("level") : "";
  const text = (q.get("q") || "").slice(0, 64);
  const stepRoles = (account()?.roles || []).filter((r) => ["window_clerk", "reviewer", "approver"].includes(r));
  const role = stepRoles.includes(q.get("role")) ? q.get("role") : "";
  const page = Math.max(1, Number.parseInt(q.get("page") || "1", 10) || 1);

  const filters = h(
    "form",
    { class: "staff-filters", role: "search", "aria-label": "筛选办件" },
    field({ name: "state", label: "办件状态", type: "select", value: state, options: [["", "全部状态"], ...OPEN_CASE_STATES] }),
    field({ name: "level", label: "时限预警", type: "select", value: level, options: [["", "全部"], ...CARDS] }),
    stepRoles.length > 1 ? field({ name: "role", label: "岗位", type: "select", value: role, options: [["", "我的全部岗位"], ...stepRoles.map((r) => [r, ROLE_ZH[r]])] }) : null,
    field({ name: "q", label: "办件编号、申报号或申请人", value: text, attrs: { maxlength: 64 } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "筛选"), h("a", { href: "/staff/queue", class: "btn" }, "清除筛选")),
  );
  filters.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = (name) => filters.elements.namedItem(name)?.value.trim() || "";
    view.navigate(withQuery("/staff/queue", "", { state: v("state"), level: v("level"), role: v("role"), q: v("q") }));
  });

  const body = await get("/api/v1/staff/queue", { state, level, role, q: text, page, page_size: 20 });
  const counts = body.counts || [];
  content.append(
    counts.length
      ? h(
          "p",
          { class: "staff-summary" },
          "本队列：",
          counts.map((c, i) => [i ? "，" : "", h("a", { href: c.key === "yellow" || c.key === "red" ? `/staff/queue?level=${c.key}` : `/staff/queue?state=${c.key}` }, `${c.label} ${c.count} 件`)]),
        )
      : null,
    filters,
  );
  const cases = body.cases || [];
  if (!cases.length) {
    content.append(empty(state || level || text ? "没有符合条件的待办办件。" : "暂无待办办件。"));
    return;
  }
  content.append(
    table(
      "待办办件列表",
      ["办件编号 / 申报号", "事项", "申请人", "状态 / 环节", "提交时间", "办结期限", "时限预警", "操作"],
      cases.map((c) => [
        h("span", {}, c.case_number || c.application_number, c.case_number ? h("span", { class: "hint staff-sub" }, `申报号 ${c.application_number}`) : null),
        h("span", {}, c.matter_name, h("span", { class: "hint staff-sub" }, c.department_name)),
        c.applicant_name || "—",
        h("span", {}, c.state_zh, c.current_step_name ? h("span", { class: "hint staff-sub" }, `${c.current_step_name}（${ROLE_ZH[c.current_role] || c.current_role || ""}）`) : null),
        time(c.submitted_at),
        c.clock?.promised_due ? `${c.clock.promised_due}${c.clock.days_left != null && c.clock.limit_days ? `（剩 ${c.clock.days_left} 个工作日）` : ""}` : "—",
        c.clock?.limit_days || ["yellow", "red"].includes(c.clock?.level) ? card(c.clock.level) : "—",
        h("a", { href: `/staff/cases/${encodeURIComponent(c.id)}`, "aria-label": `办理 ${c.case_number || c.application_number} ${c.matter_name}` }, "办理"),
      ]),
    ),
    pages(body.page, (n) => withQuery("/staff/queue", q, { page: n })),
  );
}
