// What the workbench's pages share: who the staff member is, the Chinese names of roles, states
// and cards, department names, and a small action form in a dialog.

import { account, get } from "../api.js";
import { dialog, h, onSubmit } from "../ui.js";

export const ROLE_ZH = {
  window_clerk: "窗口受理人员",
  reviewer: "审核人员",
  approver: "审批人员",
  supervisor: "监察人员",
  site_admin: "站点管理员",
};

/** The states a case can wait in at the workbench, for the queue's filter. */
export const OPEN_CASE_STATES = [
  ["submitted", "待预审"],
  ["supplement_requested", "待补正"],
  ["accepted", "已受理"],
  ["under_review", "审批中"],
  ["special_procedure", "特别程序"],
];

export const CARDS = [
  ["yellow", "黄牌"],
  ["red", "红牌"],
];

export const SPECIAL_PROCEDURES = [
  ["hearing", "听证"],
  ["tendering", "招标"],
  ["auction", "拍卖"],
  ["testing", "检验"],
  ["inspection", "检测"],
  ["quarantine", "检疫"],
  ["appraisal", "鉴定"],
  ["expert_review", "专家评审"],
  ["site_check", "现场核查"],
  ["other", "其他"],
];

export function label(pairs, key) {
  return (Array.isArray(pairs) ? pairs.find(([k]) => k === key)?.[1] : pairs[key]) || key || "";
}

/** The signed-in staff member: GET /api/v1/me, else what the session remembers. */
export async function me() {
  try {
    return { ...(account() || {}), ...(await get("/api/v1/me")) };
  } catch {
    return account() || {};
  }
}

export function roles(who) {
  return new Set(who?.roles || []);
}

export function rolesText(who) {
  const list = who?.roles || [];
  return list.length ? list.map((r) => ROLE_ZH[r] || r).join("、") : "无";
}

const DEPARTMENTS = new Map();

/** A site's departments as [[code, name]] (cached for the tab's life). */
export async function departments(site) {
  if (!site) return [];
  if (!DEPARTMENTS.has(site)) {
    DEPARTMENTS.set(
      site,
      get(`/api/v1/sites/${encodeURIComponent(site)}/departments`, {}, { auth: false })
        .then((body) => (body.items || body.departments || []).map((d) => [d.code, d.name]))
        .catch(() => []),
    );
  }
  return DEPARTMENTS.get(site);
}

export async function departmentName(site, code) {
  if (!code) return "";
  return label(await departments(site), code);
}

/** A time-limit card as text and colour: 黄牌 / 红牌 / 正常 (never colour alone). */
export function card(level) {
  if (level === "red") return h("span", { class: "tag tag-bad" }, "红牌（已超期）");
  if (level === "yellow") return h("span", { class: "tag tag-warn" }, "黄牌（即将到期）");
  return h("span", { class: "tag tag-ok" }, "正常");
}

/** A letter's clock level ("" | warning | overdue) as text. */
export function letterClock(level) {
  if (level === "overdue") return h("span", { class: "tag tag-bad" }, "已超期");
  if (level === "warning") return h("span", { class: "tag tag-warn" }, "即将到期");
  return null;
}

/**
 * Open an action's form in a dialog: labelled fields, a submit button saying what it does, the
 * API's Chinese errors beside the fields. `work(values, form)` does the call and returns what
 * `done` gets; the dialog closes after success.
 */
export function actionDialog(title, fields, submit, work, done, { danger = false, aliases = {}, intro } = {}) {
  const form = h(
    "form",
    { class: "form", novalidate: true },
    intro ? h("p", {}, intro) : null,
    fields,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: danger ? "btn btn-danger" : "btn btn-primary" }, submit),
    ),
  );
  const d = dialog(title, form);
  onSubmit(
    form,
    async (values) => {
      const result = await work(values, form);
      d.close();
      await done?.(result);
    },
    aliases,
  );
  form.querySelector("input, textarea, select")?.focus();
  return d;
}

/** An error slot for a field the form has no single control of (e.g. a list of items). */
export function errorSlot(name) {
  return h("p", { class: "field-error", id: `${name}-error-slot`, "data-error-for": name });
}

/** Page links for page-numbered lists: 上一页 / 下一页 with "第 n 页，共 m 条". */
export function pages(info, hrefOf) {
  const page = info?.page || 1;
  const size = info?.page_size || 20;
  const total = Number(info?.total || 0);
  const last = Math.max(1, Math.ceil(total / size));
  if (last <= 1) return h("p", { class: "hint" }, `共 ${total} 条`);
  return h(
    "nav",
    { class: "pager", "aria-label": "分页" },
    page > 1 ? h("a", { href: hrefOf(page - 1), class: "btn" }, "上一页") : null,
    h("span", {}, ` 第 ${page} / ${last} 页，共 ${total} 条 `),
    page < last ? h("a", { href: hrefOf(page + 1), class: "btn" }, "下一页") : null,
  );
}

/** The current address with some query parameters changed (empty ones removed). */
export function withQuery(path, query, changes) {
  const q = new URLSearchParams(query);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === null || v === "") q.delete(k);
    else q.set(k, v);
  }
  const text = q.toString();
  return text ? `${path}?${text}` : path;
}
