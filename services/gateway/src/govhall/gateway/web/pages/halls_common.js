// Shared by the booking, letter and hall pages (预约、咨询投诉、大厅叫号): Chinese names of the
// API's states and kinds, and China-time days.

import { h } from "../ui.js";

export const BOOKING_STATES = {
  pending_reply: ["待确认", "tag-warn"],
  confirmed: ["已确认", "tag-ok"],
  declined: ["已拒绝", "tag-bad"],
  cancelled: ["已取消", ""],
  checked_in: ["已取号", "tag-ok"],
  no_show: ["爽约", "tag-bad"],
};

export const TICKET_STATES = {
  waiting: ["等候中", "tag-warn"],
  called: ["已叫号", "tag-ok"],
  skipped: ["已过号", "tag-bad"],
  done: ["已办结", ""],
};

export const COMPLAINT_REASONS = [
  ["efficiency", "效能"],
  ["attitude", "态度"],
  ["inaction", "不作为"],
  ["misconduct", "乱作为"],
  ["other", "其他"],
];

/** A state as a tag with its Chinese name (text, never colour only). */
export function stateTag(map, state) {
  const [text, kind] = map[state] || [state || "—", ""];
  return h("span", { class: `tag ${kind}` }, text);
}

const WEEKDAYS = ["周日", "周一", "周二", "周三", "周四", "周五", "周六"];

/** Today in China (YYYY-MM-DD), whatever the browser's own time zone. */
export function chinaToday() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
}

/** A YYYY-MM-DD day moved by `n` days. */
export function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** 2026-12-06（周日） */
export function dayLabel(day) {
  const d = new Date(`${day}T00:00:00Z`);
  return `${day}（${WEEKDAYS[d.getUTCDay()]}）`;
}

/** The HH:MM of an RFC 3339 time already in China time (+08:00), as appointments gives it. */
export function clock(iso) {
  return String(iso || "").slice(11, 16);
}

/** A titled part of a page (an <h2> and its content). */
export function section(title, ...content) {
  return h("section", { class: "halls-section", "aria-label": title }, h("h2", {}, title), content);
}
