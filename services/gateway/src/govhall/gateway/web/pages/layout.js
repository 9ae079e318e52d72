// The side menus of 我的空间 and the staff workbench: each of their pages renders into the
// content part of `space(view, menu, current, title)`.

import { h } from "../ui.js";

export const ME_MENU = [
  ["/me", "概览", "home"],
  ["/me/cases", "我的办件", "cases"],
  ["/me/appointments", "我的预约", "appointments"],
  ["/me/consultations", "我的咨询投诉", "consultations"],
  ["/me/messages", "我的消息", "messages"],
  ["/me/favourites", "我的收藏", "favourites"],
  ["/me/error-reports", "我的纠错", "error-reports"],
  ["/me/licences", "我的证照", "licences"],
  ["/me/drive", "我的云盘", "drive"],
  ["/me/addresses", "收件地址", "addresses"],
  ["/me/security", "账号安全", "security"],
  ["/me/enterprises", "我的企业", "enterprises"],
];

export const STAFF_MENU = [
  ["/staff", "概览", "home"],
  ["/staff/queue", "待办办件", "queue"],
  ["/staff/supervision", "督办预警", "supervision"],
  ["/staff/letters", "咨询投诉", "letters"],
  ["/staff/halls", "预约与叫号", "halls"],
  ["/staff/statistics", "统计分析", "statistics"],
  ["/staff/error-reports", "纠错处理", "error-reports"],
];

/** Lay out a page of 我的空间 or the workbench; returns the element the page fills. */
export function space(view, menu, current, title, label) {
  view.title(title);
  const content = h("div", { class: "space-content" });
  view.main.append(
    h(
      "div",
      { class: "with-side" },
      h(
        "nav",
        { class: "side-menu", "aria-label": label },
        h("ul", {}, menu.map(([href, text, key]) => h("li", {}, h("a", { href, "aria-current": key === current ? "page" : null }, text)))),
      ),
      h("div", {}, h("h1", {}, title), content),
    ),
  );
  return content;
}

export const mySpace = (view, current, title) => space(view, ME_MENU, current, title, "我的空间");
export const workbench = (view, current, title) => space(view, STAFF_MENU, current, title, "工作台");
