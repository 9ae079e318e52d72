// 咨询投诉: my department's letters by state (open ones first, nearest deadline first); for
// supervisors also the open letters of their site and the sites below (督办).

import { account, get } from "../api.js";
import { empty, h, table, tabs, time } from "../ui.js";
import { LETTER_KINDS, LETTER_STATES } from "./case_labels.js";
import { workbench } from "./layout.js";
import { label, letterClock, pages, withQuery } from "./staff_common.js";

export async function render(view) {
  const content = workbench(view, "letters", "咨询投诉");
  content.classList.add("staff");
  const q = view.query;
  const supervisor = (account()?.roles || []).includes("supervisor");
  const mode = supervisor && q.get("view") === "supervised" ? "supervised" : "";
  const overdue = mode && q.get("overdue") === "1";
  const state = !mode && Object.hasOwn(LETTER_STATES, q.get("state") || "") ? q.get("state") : "";
  const page = Math.max(1, Number.parseInt(q.get("page") || "1", 10) || 1);
  const items = [
    ["/staff/letters", "待处理", "open"],
    ...Object.entries(LETTER_STATES).map(([k, text]) => [`/staff/letters?state=${k}`, text, k]),
    ...(supervisor
      ? [
          ["/staff/letters?view=supervised", "督办：全部未办结", "supervised"],
          ["/staff/letters?view=supervised&overdue=1", "督办：已超期", "overdue"],
        ]
      : []),
  ];
  const current = mode ? (overdue ? "overdue" : "supervised") : state || "open";
  content.append(tabs("来信分类", items, current));
  const body = mode
    ? await get("/api/v1/staff/consultations/supervised", { overdue_only: overdue ? "true" : "", page, page_size: 20 })
    : await get("/api/v1/staff/consultations", { state: state ? [state] : [], page, page_size: 20 });
  const letters = body.items || [];
  const caption = items.find(([, , k]) => k === current)?.[1] || "来信";
  if (!letters.length) {
    content.append(empty(`暂无${caption === "待处理" ? "待处理的" : `“${caption}”的`}来信。`));
    return;
  }
  content.append(
    table(
      `来信列表：${caption}`,
      ["信件编号", "类型", "标题", "状态", "办理人", "办理期限", "提交时间"],
      letters.map((l) => [
        l.letter_number,
        LETTER_KINDS[l.kind] || l.kind,
        h("a", { href: `/staff/letters/${encodeURIComponent(l.id)}` }, l.title),
        h("span", {}, label(LETTER_STATES, l.state), l.extension_state === "requested" ? h("span", { class: "hint staff-sub" }, "延期待审批") : null),
        l.handler_name || "—",
        h("span", {}, l.due_date || "—", " ", letterClock(l.warning_level)),
        time(l.submitted_at),
      ]),
    ),
    pages(body.page, (n) => withQuery("/staff/letters", q, { page: n })),
  );
}
