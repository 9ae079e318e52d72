// 我的空间's shared vocabulary: the Chinese names of case states, my-cases tabs, letters and
// bookings (the API answers short lowercase enum names), and small view helpers those pages share.

import { h } from "../ui.js";

const CASE_STATES = {
  draft: "待提交",
  submitted: "待预审",
  supplement_requested: "待补正",
  accepted: "已受理",
  not_accepted: "不予受理",
  under_review: "审批中",
  special_procedure: "特别程序",
  concluded_approved: "办结（准予）",
  concluded_denied: "办结（不予）",
  terminated: "异常办结",
  withdrawn: "已撤回",
  evaluated: "已评价",
};

/** The applicant's tabs of 我的办件: [API value, Chinese name]. */
export const CASE_TABS = [
  ["draft", "待提交"],
  ["supplement", "待补正"],
  ["in_progress", "审批中"],
  ["to_evaluate", "待评价"],
  ["done", "已办结"],
  ["other", "其他"],
];

/** The Chinese name of a case state ("submitted" → 待预审); the state itself when unknown. */
export function caseStateName(state) {
  return CASE_STATES[state] || state || "";
}

export function caseTabName(tab) {
  return CASE_TABS.find(([t]) => t === tab)?.[1] || tab || "";
}

const CASE_TONE = {
  supplement_requested: "warn",
  not_accepted: "bad",
  concluded_approved: "ok",
  concluded_denied: "bad",
  terminated: "bad",
  evaluated: "ok",
};

/** A state as a tag: its words carry the meaning, the colour only repeats it. */
export function stateTag(text, tone) {
  return h("span", { class: `tag${tone ? ` tag-${tone}` : ""}` }, text);
}

export function caseStateTag(state, zh) {
  return stateTag(zh || caseStateName(state), CASE_TONE[state]);
}

// The letters' Chinese names, for the writer's pages, the public query and the workbench alike.
export const LETTER_KINDS = { consultation: "咨询", complaint: "投诉", suggestion: "建议" };
export const LETTER_STATES = {
  pending: "待签收",
  processing: "办理中",
  replied: "已答复",
  followed_up: "已追问",
  refused: "不予受理",
  closed: "已办结",
};
export const LETTER_RATINGS = { satisfied: "满意", basically: "基本满意", unsatisfied: "不满意" };
export const LETTER_ACTIONS = {
  consultation: "来信",
  complaint: "来信",
  suggestion: "来信",
  follow_up: "追问",
  reply: "答复",
  follow_up_answer: "追答",
  reassigned: "转办",
  refused: "不予受理",
  reopened: "重新办理",
  rated: "评价",
  extension_requested: "延期申请",
  extension_approved: "同意延期",
  extension_refused: "不同意延期",
};

export function letterStateTag(state) {
  const tone = { replied: "ok", closed: "ok", refused: "bad", followed_up: "warn" }[state];
  return stateTag(LETTER_STATES[state] || state || "", tone);
}

export const BOOKING_STATES = {
  pending_reply: "待确认",
  confirmed: "已确认",
  declined: "已拒绝",
  cancelled: "已取消",
  checked_in: "已取号",
  no_show: "已爽约",
};

export function bookingStateTag(state) {
  const tone = { confirmed: "ok", checked_in: "ok", declined: "bad", no_show: "bad", pending_reply: "warn" }[state];
  return stateTag(BOOKING_STATES[state] || state || "", tone);
}

/** A booking's time, Beijing time as the API gives it (+08:00): 2026-12-04 09:30–10:00. */
export function bookingTime(b) {
  const part = (s) => (s ? String(s).replace("T", " ").slice(0, 16) : "");
  const start = part(b.starts_at);
  const end = part(b.ends_at);
  return end && end.slice(0, 10) === start.slice(0, 10) ? `${start}–${end.slice(11)}` : [start, end].filter(Boolean).join(" 至 ");
}

/** A file size in words: 12.3 KB. */
export function size(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A section with its heading (h2), for the detail pages. */
export function section(title, ...children) {
  return h("section", { class: "me-section", "aria-label": title }, h("h2", {}, title), children);
}

/** Append children, leaving out the parts a state does not have (null, false). */
export function add(el, ...children) {
  el.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}
