// 我的预约: pending bookings (still ahead, soonest first) and the history (newest first), each
// linking to its detail with the booking code.

import { get } from "../api.js";
import { empty, h, pager, tabs } from "../ui.js";
import { mySpace } from "./layout.js";
import { bookingStateTag, bookingTime, add } from "./case_labels.js";

const PAGE_SIZE = 20;

export async function render(view) {
  const content = mySpace(view, "appointments", "我的预约");
  const tab = view.query.get("tab") === "history" ? "history" : "pending";
  const first = await get("/api/v1/me/appointments", { tab, page: 1, page_size: PAGE_SIZE });
  add(content, 
    tabs(
      "预约分类",
      [
        ["/me/appointments", "待办理", "pending"],
        ["/me/appointments?tab=history", "历史预约", "history"],
      ],
      tab,
    ),
  );
  if (!(first.items || []).length) {
    add(content, empty(tab === "pending" ? "暂无待办理的预约。可在办事指南中选择“预约办理”。" : "暂无历史预约。"), h("p", {}, h("a", { href: "/matters" }, "查找可预约的事项")));
    return;
  }
  const list = h("ul", { class: "cards me-list" });
  const more = h("div", {});
  const show = (body, page) => {
    list.append(...(body.items || []).map(bookingCard));
    more.replaceChildren();
    if (page * PAGE_SIZE < (body.page?.total || 0)) {
      more.append(pager(page + 1, async (next) => show(await get("/api/v1/me/appointments", { tab, page: next, page_size: PAGE_SIZE }), next)));
    }
  };
  add(content, list, more);
  show(first, 1);
}

function bookingCard(b) {
  const href = `/me/appointments/${encodeURIComponent(b.id)}`;
  return h(
    "li",
    { class: "card me-card" },
    h("h2", { class: "me-card-title" }, h("a", { href }, b.matter_name || b.matter_code)),
    h("p", { class: "me-card-meta" }, bookingStateTag(b.state)),
    h(
      "dl",
      { class: "facts me-card-facts" },
      [h("dt", {}, "预约号"), h("dd", { class: "me-code" }, b.code)],
      [h("dt", {}, "预约时间"), h("dd", {}, bookingTime(b))],
      [h("dt", {}, "办事大厅"), h("dd", {}, [b.hall_name, b.window_name].filter(Boolean).join(" · "))],
    ),
  );
}
