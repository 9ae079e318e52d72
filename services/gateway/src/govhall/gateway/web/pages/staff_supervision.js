// 督办预警: the cases with a yellow (黄牌) or red (红牌) card at my site, and each department's
// performance (on-time rate, average working days, open cards).

import { account, get } from "../api.js";
import { siteName } from "../app.js";
import { empty, field, h, message, table } from "../ui.js";
import { workbench } from "./layout.js";
import { CARDS, card, departments, pages, withQuery } from "./staff_common.js";

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export async function render(view) {
  const content = workbench(view, "supervision", "督办预警");
  content.classList.add("staff");
  const q = view.query;
  const level = CARDS.some(([k]) => k === q.get("level")) ? q.get("level") : "";
  const department = (q.get("department") || "").slice(0, 40);
  const from = DAY.test(q.get("from") || "") ? q.get("from") : "";
  const to = DAY.test(q.get("to") || "") ? q.get("to") : "";
  const page = Math.max(1, Number.parseInt(q.get("page") || "1", 10) || 1);
  const who = account() || {};
  const site = who.site_code || view.site;
  const [name, depts] = await Promise.all([siteName(site), departments(site)]);

  const filters = h(
    "form",
    { class: "staff-filters", role: "search", "aria-label": "筛选预警办件" },
    field({ name: "level", label: "预警级别", type: "select", value: level, options: [["", "黄牌和红牌"], ...CARDS] }),
    field({ name: "department", label: "部门", type: "select", value: department, options: [["", "全部部门"], ...depts] }),
    field({ name: "from", label: "受理日期自", type: "date", value: from }),
    field({ name: "to", label: "受理日期至", type: "date", value: to }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "筛选")),
  );
  filters.addEventListener("submit", (e) => {
    e.preventDefault();
    const f = filters.elements;
    view.navigate(withQuery("/staff/supervision", "", { level: f.level.value, department: f.department.value, from: f.from.value, to: f.to.value }));
  });
  content.append(h("p", {}, `${name}：超过承诺时限八成的办件亮黄牌，超过办结期限的亮红牌。`), filters);

  const warnings = h("section", { "aria-labelledby": "warn-title" }, h("h2", { id: "warn-title" }, "预警办件"));
  const performance = h("section", { "aria-labelledby": "perf-title" }, h("h2", { id: "perf-title" }, "部门办理绩效"));
  content.append(warnings, performance);
  await Promise.all([
    get("/api/v1/supervision/warnings", { level, department_code: department, page, page_size: 20 })
      .then((body) => {
        const rows = body.warnings || [];
        if (!rows.length) {
          warnings.append(empty(level ? "没有该级别的预警办件。" : "本站点暂无黄牌、红牌办件。"));
          return;
        }
        warnings.append(
          table(
            "黄牌、红牌办件",
            ["预警", "办件编号", "事项", "部门", "当前环节", "办结期限", "剩余工作日", "操作"],
            rows.map((w) => [
              card(w.level),
              w.case?.case_number || w.case?.application_number,
              w.case?.matter_name,
              w.case?.department_name,
              w.case?.current_step_name || "—",
              w.due || "—",
              String(w.days_left ?? ""),
              h("a", { href: `/staff/cases/${encodeURIComponent(w.case?.id || "")}`, "aria-label": `查看 ${w.case?.case_number || ""}` }, "查看"),
            ]),
          ),
          pages(body.page, (n) => withQuery("/staff/supervision", q, { page: n })),
        );
      })
      .catch((error) => warnings.append(message(error.message, "error"))),
    get("/api/v1/supervision/performance", { from, to })
      .then((body) => {
        const rows = (body.departments || []).filter((d) => !department || d.department_code === department);
        if (!rows.length) {
          performance.append(empty("该期间暂无受理的办件。"));
          return;
        }
        performance.append(
          table(
            `${name}各部门办理绩效${from || to ? `（受理日期 ${from || "不限"} 至 ${to || "不限"}）` : ""}`,
            ["部门", "受理件数", "办结件数", "按时办结", "按时办结率", "平均办理工作日", "黄牌（未办结）", "红牌（未办结）"],
            rows.map((d) => [
              d.department_name || d.department_code,
              String(d.accepted),
              String(d.concluded),
              String(d.on_time),
              d.concluded ? `${(d.on_time_rate * 100).toFixed(1)}%` : "—",
              d.concluded ? Number(d.average_days).toFixed(1) : "—",
              String(d.open_yellow),
              String(d.open_red),
            ]),
          ),
        );
      })
      .catch((error) => performance.append(message(error.message, "error"))),
  ]);
}
