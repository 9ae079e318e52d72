// 统计分析 (workbench), as the Ningxia seed draws it: 汇总 figures, cases by matter type (pie),
// applications by month (bar), online applications by state (pie), the department's letters by
// state (bar) and 好差评 by level (bar). Every chart has its data table beside it.

import { account, get } from "../api.js";
import { facts, field, h, message, onSubmit } from "../ui.js";
import { barChart, pieChart } from "./charts.js";
import { LETTER_STATES } from "./case_labels.js";
import { section } from "./halls_common.js";
import { workbench } from "./layout.js";

const LEVELS = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"];
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export async function render(view) {
  const content = workbench(view, "statistics", "统计分析");
  const site = account()?.site_code || view.site;
  const from = DAY.test(view.query.get("from") || "") ? view.query.get("from") : "";
  const to = DAY.test(view.query.get("to") || "") ? view.query.get("to") : "";

  const range = h(
    "form",
    { class: "form halls-pick", novalidate: true },
    field({ name: "from", label: "开始日期", type: "date", value: from }),
    field({ name: "to", label: "结束日期", type: "date", value: to }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "统计")),
  );
  onSubmit(range, async (v) => {
    const q = new URLSearchParams();
    if (v.from) q.set("from", v.from);
    if (v.to) q.set("to", v.to);
    view.navigate(`/staff/statistics${q.size ? `?${q}` : ""}`);
  });

  const [cases, evaluations, letters] = await Promise.all([
    get("/api/v1/statistics/cases", { site_code: site, from, to }).catch((e) => e),
    get("/api/v1/statistics/evaluations", { site, month_from: from.slice(0, 7), month_to: to.slice(0, 7) }).catch((e) => e),
    letterCounts(),
  ]);
  const casesOk = !(cases instanceof Error);
  const evalOk = !(evaluations instanceof Error);
  const rows = (list) => ({ labels: list.map((r) => r.label || r.key), values: list.map((r) => Number(r.count)) });
  const overall = evalOk ? evaluations.overall : null;
  const lettersTotal = letters ? letters.values.reduce((a, b) => a + b, 0) : null;

  // (Element.append writes null as text: the parts left out are filtered first.)
  content.append(
    ...[
    range,
    section(
      "汇总",
      casesOk
        ? h(
            "ul",
            { class: "stat-figures" },
            figure("办件总量", cases.total),
            figure("已办结", cases.concluded),
            figure("按时办结", cases.on_time),
            figure("按时办结率", `${(Number(cases.on_time_rate || 0) * 100).toFixed(1)}%`),
            lettersTotal !== null ? figure("本部门咨询投诉", lettersTotal) : null,
            overall ? figure("好差评", overall.total) : null,
            overall ? figure("满意率", `${(Number(overall.satisfaction_rate || 0) * 100).toFixed(1)}%`) : null,
          )
        : message(cases.message, "error"),
    ),
    casesOk ? section("按事项类型", pieChart({ title: "办件按事项类型分布", ...rows(cases.by_matter_type || []) })) : null,
    casesOk ? section("按月申报量", barChart({ title: "每月申报量", ...rows(cases.by_month || []) })) : null,
    casesOk ? section("网上申报办理状态", pieChart({ title: "网上申报按办理状态", ...rows(cases.by_state || []) })) : null,
    section(
      "咨询投诉",
      letters ? barChart({ title: "本部门咨询投诉按状态", ...letters }) : message("暂无权限查看本部门的咨询投诉。", "info"),
    ),
    section(
      "好差评",
      evalOk
        ? [
            facts([
              ["评价总数", overall.total],
              ["满意率", `${(Number(overall.satisfaction_rate || 0) * 100).toFixed(1)}%`],
              ["整改数", overall.rectifications],
              ["整改率", `${(Number(overall.rectified_rate || 0) * 100).toFixed(1)}%`],
            ]),
            barChart({ title: "好差评按等级", labels: LEVELS, values: LEVELS.map((_, i) => Number(overall.per_level?.[i] || 0)) }),
          ]
        : message(evaluations.message, "error"),
    ),
    ].filter(Boolean),
  );
}

function figure(label, value) {
  return h("li", { class: "stat-figure" }, h("span", { class: "stat-label" }, label), h("strong", { class: "stat-value" }, String(value ?? 0)));
}

/** The department's letters per state: the total of each state's page (one letter per page). */
async function letterCounts() {
  const states = Object.entries(LETTER_STATES);
  try {
    const pages = await Promise.all(states.map(([state]) => get("/api/v1/staff/consultations", { state, page_size: 1 })));
    return { labels: states.map(([, label]) => label), values: pages.map((p) => Number(p.page?.total || 0)) };
  } catch {
    return null;
  }
}

