// 纠错处理: the site admin's queue of error reports on service guides (oldest first); accept
// (saying what was fixed) or refuse (saying why), and the decided ones by state.

import { account, get, post } from "../api.js";
import { button, empty, facts, field, fill, h, message, tabs, time } from "../ui.js";
import { workbench } from "./layout.js";
import { actionDialog, pages, withQuery } from "./staff_common.js";

const STATES = [
  ["", "待处理"],
  ["accepted", "已采纳"],
  ["refused", "未采纳"],
];

export async function render(view) {
  const content = workbench(view, "error-reports", "纠错处理");
  content.classList.add("staff");
  if (!(account()?.roles || []).includes("site_admin")) {
    content.append(message("纠错处理由站点管理员办理，您的账号没有站点管理员角色。", "info"));
    return;
  }
  const q = view.query;
  const state = STATES.some(([k]) => k && k === q.get("state")) ? q.get("state") : "";
  const page = Math.max(1, Number.parseInt(q.get("page") || "1", 10) || 1);
  content.append(tabs("纠错状态", STATES.map(([k, text]) => [k ? `/staff/error-reports?state=${k}` : "/staff/error-reports", text, k]), state));
  const status = h("div", { class: "staff-flash", "aria-live": "polite" });
  const list = h("div", {});
  content.append(status, list);

  const load = async (note) => {
    const body = await get("/api/v1/staff/error-reports", { state, page, page_size: 20 });
    fill(status, note || null);
    const reports = body.items || [];
    if (!reports.length) {
      fill(list, empty(state ? "暂无该状态的纠错。" : "暂无待处理的纠错。"));
      return;
    }
    fill(
      list,
      h("ul", { class: "staff-reports" }, reports.map((r) => h("li", { class: "card" }, report(r, decided)))),
      pages(body.page, (n) => withQuery("/staff/error-reports", q, { page: n })),
    );
  };
  const decided = (name) => (r) =>
    setTimeout(async () => {
      await load(message(`已${name}：${r.matter_name}（${r.element_label}）。`, "success"));
      const note = status.querySelector(".msg");
      note?.setAttribute("tabindex", "-1");
      note?.focus();
    });
  await load();
}

function report(r, decided) {
  const path = `/api/v1/staff/error-reports/${encodeURIComponent(r.id)}`;
  const answer = (labelText) => field({ name: "answer", label: labelText, type: "textarea", required: true, attrs: { maxlength: 1000, rows: 4 } });
  const decide = (action, title, labelText, submit, name, danger) => () =>
    actionDialog(
      title,
      [answer(labelText)],
      submit,
      (v) => {
        if (!v.answer.trim()) throw { answer: `请填写${labelText}` };
        return post(`${path}/${action}`, { answer: v.answer, revision: r.revision });
      },
      decided(name),
      { danger, intro: `${r.matter_name}：${r.element_label}。${r.content}` },
    );
  return [
    h("h2", { class: "staff-report-title" }, `${r.matter_name}：${r.element_label}`),
    facts([
      ["事项编码", r.matter_code],
      ["纠错内容", r.content],
      ["提交时间", time(r.created_at)],
      ["状态", r.state_label],
      ["处理答复", r.answer],
      ["处理时间", time(r.decided_at)],
    ]),
    r.state === "submitted"
      ? h(
          "div",
          { class: "actions" },
          button("采纳", decide("accept", "采纳纠错", "已更正的内容", "确认采纳", "采纳", false), { class: "btn btn-primary", "aria-haspopup": "dialog", "aria-label": `采纳：${r.matter_name}（${r.element_label}）` }),
          button("不予采纳", decide("refuse", "不予采纳", "不予采纳的理由", "确认不予采纳", "不予采纳", true), { class: "btn btn-danger", "aria-haspopup": "dialog", "aria-label": `不予采纳：${r.matter_name}（${r.element_label}）` }),
        )
      : null,
  ];
}
