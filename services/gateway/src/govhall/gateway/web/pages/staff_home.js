// 工作台概览: who I am (site, department, roles), my queue's counts by state and card, and the
// workbench's areas.

import { get } from "../api.js";
import { siteName } from "../app.js";
import { facts, h, message } from "../ui.js";
import { workbench } from "./layout.js";
import { departmentName, me, roles, rolesText } from "./staff_common.js";

const AREAS = [
  ["/staff/queue", "待办办件", "受理、补正告知、审核、办结与特别程序", ["window_clerk", "reviewer", "approver", "supervisor"]],
  ["/staff/supervision", "督办预警", "本站点的黄牌、红牌办件和各部门办理绩效", ["supervisor", "site_admin", "window_clerk", "reviewer", "approver"]],
  ["/staff/letters", "咨询投诉", "本部门的咨询、投诉、建议：签收、答复、转办、延期", null],
  ["/staff/error-reports", "纠错处理", "群众对办事指南的纠错：采纳或不予采纳", ["site_admin"]],
];

export async function render(view) {
  const content = workbench(view, "home", "工作台");
  content.classList.add("staff");
  const who = await me();
  const mine = roles(who);
  const [site, department] = await Promise.all([siteName(who.site_code || view.site), departmentName(who.site_code, who.department_code)]);
  content.append(
    h(
      "section",
      { "aria-labelledby": "who-title", class: "card" },
      h("h2", { id: "who-title" }, "我的信息"),
      facts([
        ["姓名", who.name || who.username],
        ["用户名", who.username],
        ["所属站点", site],
        ["所属部门", department || who.department_code],
        ["岗位角色", rolesText(who)],
      ]),
    ),
  );
  const counts = h("section", { "aria-labelledby": "counts-title" }, h("h2", { id: "counts-title" }, "我的待办"));
  content.append(counts);
  if (["window_clerk", "reviewer", "approver"].some((r) => mine.has(r))) {
    try {
      const queue = await get("/api/v1/staff/queue", { page_size: 1 });
      const rows = queue.counts || [];
      const total = queue.page?.total ?? 0;
      counts.append(
        h("p", {}, `待办办件共 ${total} 件。`),
        h(
          "ul",
          { class: "cards cards-3 staff-counts" },
          rows.map((c) => {
            const card = c.key === "yellow" || c.key === "red";
            const href = card ? `/staff/queue?level=${c.key}` : `/staff/queue?state=${encodeURIComponent(c.key)}`;
            return h(
              "li",
              { class: `card staff-count${c.key === "red" && c.count ? " staff-count-red" : ""}${c.key === "yellow" && c.count ? " staff-count-yellow" : ""}` },
              h("a", { href }, h("span", { class: "staff-count-n" }, String(c.count)), h("span", {}, ` 件 ${c.label}`)),
            );
          }),
        ),
      );
    } catch (error) {
      counts.append(message(error.message, "error"));
    }
  } else {
    counts.append(h("p", {}, "您的岗位不办理办件，待办办件为空。"));
  }
  content.append(
    h(
      "section",
      { "aria-labelledby": "areas-title" },
      h("h2", { id: "areas-title" }, "工作区"),
      h(
        "ul",
        { class: "cards" },
        AREAS.filter(([, , , need]) => !need || need.some((r) => mine.has(r))).map(([href, title, text]) =>
          h("li", { class: "card" }, h("h3", {}, h("a", { href }, title)), h("p", {}, text)),
        ),
      ),
    ),
  );
}
