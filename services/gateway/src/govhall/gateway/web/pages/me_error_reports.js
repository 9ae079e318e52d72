// 我的纠错: the errors I reported on guides, newest first, with their state and the answer.

import { get } from "../api.js";
import { empty, facts, h, link, time } from "../ui.js";
import { mySpace } from "./layout.js";
import { pageLinks, pageOf, tag, addTo } from "./me_common.js";

const PAGE_SIZE = 20;
const KINDS = { submitted: "warn", accepted: "ok", refused: "bad" };

export async function render(view) {
  const content = mySpace(view, "error-reports", "我的纠错");
  const page = pageOf(view);
  const body = await get("/api/v1/me/error-reports", { page, page_size: PAGE_SIZE });
  const items = body.items || [];
  if (!items.length) {
    addTo(content, empty("您还没有提交过纠错。发现办事指南有误时，可在指南页面点击“纠错”。"));
    return;
  }
  addTo(
    content,
    h("p", {}, `共 ${body.page?.total ?? items.length} 条纠错。`),
    h(
      "ul",
      { class: "cards me-list" },
      items.map((r) =>
        h(
          "li",
          { class: "card" },
          h(
            "h2",
            { class: "card-title" },
            link(`/guide/${encodeURIComponent(r.site_code)}/${encodeURIComponent(r.matter_code)}`, r.matter_name || r.matter_code),
          ),
          h("p", {}, tag(r.state_label || r.state, KINDS[r.state] || "")),
          facts([
            ["有误的内容", r.element_label],
            ["纠错内容", r.content],
            ["提交时间", time(r.created_at)],
            ["处理结果", r.answer || "等待处理"],
            ["处理时间", time(r.decided_at)],
          ]),
        ),
      ),
    ),
    pageLinks(view, page, body.page?.total, PAGE_SIZE),
  );
}
