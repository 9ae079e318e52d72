// 个人办事 / 法人办事: the site's published matters (its own and its ancestors'), filtered by
// audience, theme, life event, department, finer audience and name; each a card to its guide.

import { get } from "../api.js";
import { empty, field, fill, h, message } from "../ui.js";
import { add, matterCard } from "./browse_common.js";

const enc = encodeURIComponent;
const PAGE_SIZE = 20;
// The page's query parameters and the API's names for them.
const PARAMS = { audience: "audience", theme: "theme", event: "life_event", department: "department", sub_audience: "sub_audience", name: "name" };

export async function render(view) {
  const site = view.site;
  const chosen = Object.fromEntries(Object.keys(PARAMS).map((k) => [k, (view.query.get(k) || "").trim()]));
  if (!["person", "legal_person"].includes(chosen.audience)) chosen.audience = "";
  const page = Math.min(1000, Math.max(1, parseInt(view.query.get("page") || "1", 10) || 1));
  const title = { person: "个人办事", legal_person: "法人办事" }[chosen.audience] || "办事事项";
  view.title(title);

  const query = { page, page_size: PAGE_SIZE };
  for (const [k, api] of Object.entries(PARAMS)) if (chosen[k]) query[api] = chosen[k].slice(0, k === "name" ? 100 : 40);
  const [taxonomy, departments, body] = await Promise.all([
    get("/api/v1/taxonomy", {}, { auth: false }).catch(() => ({})),
    get(`/api/v1/sites/${enc(site)}/departments`, {}, { auth: false }).catch(() => ({ items: [] })),
    get(`/api/v1/sites/${enc(site)}/matters`, query, { auth: false }),
  ]);

  const form = filters(view, taxonomy, departments.items || [], chosen);
  const items = body.items || [];
  const total = body.page?.total || 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const here = (p) => {
    const q = new URLSearchParams();
    for (const k of Object.keys(PARAMS)) if (chosen[k]) q.set(k, chosen[k]);
    if (p > 1) q.set("page", p);
    return `/matters?${q}`;
  };
  add(view.main, 
    h("h1", {}, title),
    chosen.sub_audience === "老年人" ? message("老年人服务专区：页面上方的“长辈版”按钮可放大字体。如需帮助，可拨打 12345 或到政务服务中心“帮办代办”窗口。", "info") : null,
    form,
    h("h2", { class: "result-count", role: "status" }, `共 ${total} 个事项`),
    items.length ? h("ul", { class: "cards matter-list" }, items.map((m) => matterCard(m, site, "h3"))) : empty("没有符合条件的事项，请调整筛选条件。"),
    pages > 1
      ? h(
          "nav",
          { class: "paging", "aria-label": "分页" },
          page > 1 ? h("a", { class: "btn", href: here(page - 1) }, "上一页") : null,
          h("span", {}, `第 ${page} / ${pages} 页`),
          page < pages ? h("a", { class: "btn", href: here(page + 1) }, "下一页") : null,
        )
      : null,
  );
}

function options(all, values) {
  return [["", all], ...[...new Set(values || [])].map((v) => [v, v])];
}

function filters(view, t, departments, chosen) {
  const byAudience = (key) =>
    chosen.audience === "person" ? t[`person_${key}`] : chosen.audience === "legal_person" ? t[`legal_person_${key}`] : [...(t[`person_${key}`] || []), ...(t[`legal_person_${key}`] || [])];
  const keep = (list, v) => (v && !(list || []).includes(v) ? [...(list || []), v] : list);
  const audience = field({ name: "audience", label: "服务对象", type: "select", value: chosen.audience, options: [["", "全部"], ["person", "个人"], ["legal_person", "法人"]] });
  const theme = field({ name: "theme", label: "主题", type: "select", value: chosen.theme, options: options("全部主题", keep(byAudience("themes"), chosen.theme)) });
  const event = field({ name: "event", label: "生命周期", type: "select", value: chosen.event, options: options("全部", keep(byAudience("life_events"), chosen.event)) });
  const sub = field({ name: "sub_audience", label: "特定人群", type: "select", value: chosen.sub_audience, options: options("全部", keep(byAudience("sub_audiences"), chosen.sub_audience)) });
  const department = field({
    name: "department",
    label: "实施部门",
    type: "select",
    value: chosen.department,
    options: [["", "全部部门"], ...departments.map((d) => [d.code, d.name]), ...(chosen.department && !departments.some((d) => d.code === chosen.department) ? [[chosen.department, chosen.department]] : [])],
  });
  const name = field({ name: "name", label: "事项名称", value: chosen.name, attrs: { maxlength: 100, placeholder: "名称中的字词" } });
  const form = h(
    "form",
    { class: "filters", "aria-label": "筛选事项" },
    h("div", { class: "filter-grid" }, audience, theme, event, sub, department, name),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "筛选"), h("a", { class: "btn", href: "/matters" }, "清除条件")),
  );
  const el = (n) => form.elements.namedItem(n);
  // Themes, life events and finer audiences belong to an audience: follow its choice at once.
  el("audience").addEventListener("change", () => {
    chosen.audience = el("audience").value;
    for (const [key, select, all] of [["themes", el("theme"), "全部主题"], ["life_events", el("event"), "全部"], ["sub_audiences", el("sub_audience"), "全部"]]) {
      const current = select.value;
      const list = byAudience(key) || [];
      fill(select, options(all, list).map(([v, l]) => h("option", { value: v, selected: v === current && list.includes(v) }, l)));
    }
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const k of Object.keys(PARAMS)) {
      const v = (el(k)?.value || "").trim();
      if (v) q.set(k, v);
    }
    view.navigate(`/matters${q.toString() ? `?${q}` : ""}`);
  });
  return form;
}
