// 我的收藏: the matters I keep, with their current name and state, a link to each guide and
// 取消收藏.

import { del, get } from "../api.js";
import { button, empty, h, link, message, table, time } from "../ui.js";
import { mySpace } from "./layout.js";
import { pageLinks, pageOf, reload, statusArea, tag, addTo } from "./me_common.js";

const PAGE_SIZE = 20;
const STATES = {
  available: ["可办理", "ok"],
  withdrawn: ["已撤回", "warn"],
  gone: ["已不存在", "bad"],
};

export async function render(view) {
  const content = mySpace(view, "favourites", "我的收藏");
  const page = pageOf(view);
  const body = await get("/api/v1/me/favourites", { page, page_size: PAGE_SIZE });
  const status = statusArea();
  const items = body.items || [];
  if (!items.length) {
    addTo(content, status, empty("您还没有收藏事项。在办事指南页面点击“收藏”即可加入。"), h("p", {}, link("/matters", "去查找事项")));
    return;
  }
  const remove = async (f, btn) => {
    btn.disabled = true;
    try {
      await del(`/api/v1/me/favourites/${encodeURIComponent(f.site_code)}/${encodeURIComponent(f.matter_code)}`);
      status.replaceChildren(message(`已取消收藏“${f.matter_name || f.matter_code}”。`, "success"));
      reload(view);
    } catch (error) {
      btn.disabled = false;
      status.replaceChildren(message(error.message, "error"));
    }
  };
  const rows = items.map((f) => {
    const [label, kind] = STATES[f.state] || [f.state || "未知", ""];
    const name = f.matter_name || f.matter_code;
    const btn = button("取消收藏", () => remove(f, btn), { class: "btn btn-danger", "aria-label": `取消收藏 ${name}` });
    return [
      f.state === "gone" ? name : link(`/guide/${encodeURIComponent(f.site_code)}/${encodeURIComponent(f.matter_code)}`, name),
      f.site_name || f.site_code,
      f.type_label || "",
      tag(label, kind),
      time(f.created_at),
      btn,
    ];
  });
  addTo(
    content,
    status,
    h("p", {}, `共 ${body.page?.total ?? items.length} 项收藏。`),
    table("我收藏的事项", ["事项名称", "站点", "事项类型", "状态", "收藏时间", "操作"], rows),
    pageLinks(view, page, body.page?.total, PAGE_SIZE),
  );
}
