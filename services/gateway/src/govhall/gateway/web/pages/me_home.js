// 我的空间 概览: my account (masked numbers, real-name level), my cases counted by tab, unread
// messages, upcoming appointments and shortcuts.

import { get } from "../api.js";
import { empty, facts, h, message } from "../ui.js";
import { mySpace } from "./layout.js";
import { bookingStateTag, bookingTime, CASE_TABS, add } from "./case_labels.js";

const LEVELS = { unverified: "未实名", real_name: "已实名", high: "高级实名" };
const KINDS = { person: "个人", legal_person: "法人" };

export async function render(view) {
  const content = mySpace(view, "home", "我的空间");
  // Each part stands alone: one failing leaves the others.
  const [me, cases, unread, bookings] = await Promise.all(
    [
      get("/api/v1/me"),
      get("/api/v1/me/cases", { page_size: 1 }),
      get("/api/v1/me/messages/unread-count"),
      get("/api/v1/me/appointments", { tab: "pending", page_size: 3 }),
    ].map((p) => p.catch((error) => ({ error }))),
  );
  add(content, account(me), caseCounts(cases), messages(unread), upcoming(bookings), shortcuts());
}

function failedPart(title, error) {
  return h("section", { class: "me-section" }, h("h2", {}, title), message(error.message || "加载失败，请稍后再试。", "error"));
}

function account(me) {
  if (me.error) return failedPart("我的账号", me.error);
  const verified = me.real_name_level === "real_name" || me.real_name_level === "high";
  return h(
    "section",
    { class: "me-section" },
    h("h2", {}, "我的账号"),
    facts([
      ["姓名", me.name || "（未实名）"],
      ["账号类型", KINDS[me.kind] || me.kind],
      ["用户名", me.username],
      ["手机号", me.mobile_masked],
      ["证件号码", me.id_number_masked],
      ["实名等级", LEVELS[me.real_name_level] || me.real_name_level],
    ]),
    verified ? null : h("div", {}, message("您还未完成实名认证，部分事项需实名后才能申报或预约。", "info"), h("a", { href: "/me/security", class: "btn btn-primary" }, "去实名认证")),
  );
}

function caseCounts(body) {
  if (body.error) return failedPart("我的办件", body.error);
  const counts = new Map((body.tabs || []).map((t) => [t.tab, Number(t.count) || 0]));
  return h(
    "section",
    { class: "me-section" },
    h("h2", {}, "我的办件"),
    h(
      "ul",
      { class: "me-counts" },
      CASE_TABS.map(([tab, name]) =>
        h(
          "li",
          {},
          h("a", { href: `/me/cases?tab=${tab}`, class: "me-count" }, h("span", { class: "me-count-n" }, String(counts.get(tab) || 0)), h("span", {}, name)),
        ),
      ),
    ),
  );
}

function messages(body) {
  if (body.error) return failedPart("我的消息", body.error);
  const n = Number(body.unread) || 0;
  return h(
    "section",
    { class: "me-section" },
    h("h2", {}, "我的消息"),
    h("p", {}, n ? `您有 ${n} 条未读消息。` : "没有未读消息。", " ", h("a", { href: n ? "/me/messages?unread_only=1" : "/me/messages" }, "查看消息")),
  );
}

function upcoming(body) {
  if (body.error) return failedPart("近期预约", body.error);
  const items = body.items || [];
  return h(
    "section",
    { class: "me-section" },
    h("h2", {}, "近期预约"),
    items.length
      ? h(
          "ul",
          { class: "me-plain-list" },
          items.map((b) =>
            h("li", {}, h("a", { href: `/me/appointments/${encodeURIComponent(b.id)}` }, b.matter_name || b.matter_code), "　", bookingTime(b), "　", b.hall_name || "", " ", bookingStateTag(b.state)),
          ),
        )
      : empty("暂无待办理的预约。"),
  );
}

function shortcuts() {
  const links = [
    ["/matters", "我要办事"],
    ["/me/cases?tab=supplement", "待补正办件"],
    ["/me/cases?tab=to_evaluate", "待评价办件"],
    ["/query/case", "办件查询"],
    ["/consult/new", "我要咨询"],
    ["/me/appointments", "我的预约"],
  ];
  return h(
    "section",
    { class: "me-section" },
    h("h2", {}, "快捷入口"),
    h("ul", { class: "me-shortcuts" }, links.map(([href, text]) => h("li", {}, h("a", { href, class: "btn" }, text)))),
  );
}
