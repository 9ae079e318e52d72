// 我的咨询投诉: my letters (咨询、投诉、建议), newest first, each linking to its thread; a link to
// write a new one.

import { get } from "../api.js";
import { date, empty, h, pager } from "../ui.js";
import { mySpace } from "./layout.js";
import { LETTER_KINDS, letterStateTag, add } from "./case_labels.js";

const PAGE_SIZE = 20;

export async function render(view) {
  const content = mySpace(view, "consultations", "我的咨询投诉");
  const first = await get("/api/v1/me/consultations", { page: 1, page_size: PAGE_SIZE });
  add(content, h("div", { class: "actions" }, h("a", { href: "/consult/new", class: "btn btn-primary" }, "我要咨询投诉")));
  if (!(first.items || []).length) {
    add(content, empty("您还没有写过咨询、投诉或建议。"));
    return;
  }
  const list = h("ul", { class: "cards me-list" });
  const more = h("div", {});
  const show = (body, page) => {
    list.append(...(body.items || []).map(letterCard));
    more.replaceChildren();
    if (page * PAGE_SIZE < (body.page?.total || 0)) {
      more.append(pager(page + 1, async (next) => show(await get("/api/v1/me/consultations", { page: next, page_size: PAGE_SIZE }), next)));
    }
  };
  add(content, list, more);
  show(first, 1);
}

function letterCard(l) {
  const href = `/me/consultations/${encodeURIComponent(l.id)}`;
  return h(
    "li",
    { class: "card me-card" },
    h("h2", { class: "me-card-title" }, h("a", { href }, l.title || "（无标题）")),
    h("p", { class: "me-card-meta" }, h("span", { class: "tag" }, LETTER_KINDS[l.kind] || l.kind || ""), letterStateTag(l.state)),
    h(
      "dl",
      { class: "facts me-card-facts" },
      [h("dt", {}, "信件编号"), h("dd", {}, l.letter_number)],
      [h("dt", {}, "提交时间"), h("dd", {}, date(l.submitted_at))],
      l.replied_at ? [h("dt", {}, "答复时间"), h("dd", {}, date(l.replied_at))] : null,
      l.due_date && !["replied", "closed", "refused"].includes(l.state) ? [h("dt", {}, "办理期限"), h("dd", {}, l.due_date)] : null,
    ),
  );
}
