// 政策公告 or 常见问题: one article of a site (or of its ancestors), its text as paragraphs.

import { get } from "../api.js";
import { date, facts, h, message } from "../ui.js";
import { add, consultHref, guideHref, paras } from "./browse_common.js";

const enc = encodeURIComponent;
const KIND = { announcement: "政策公告", faq: "常见问题" };

export async function render(view) {
  const { site, id } = view.params;
  let a;
  try {
    a = await get(`/api/v1/sites/${enc(site)}/articles/${enc(id)}`, {}, { auth: false });
  } catch (error) {
    if (error.status !== 404 && error.status !== 400) throw error;
    view.title("没有找到该内容");
    add(view.main, 
      h("h1", {}, "没有找到该内容"),
      message("该公告或问答不存在，或已撤回。", "error"),
      h("p", {}, h("a", { href: "/" }, "返回首页"), "　", h("a", { href: "/qa" }, "咨询公开")),
    );
    return;
  }
  const kind = KIND[a.kind] || "文章";
  view.title(a.title);
  add(view.main, 
    h("p", { class: "crumbs" }, h("a", { href: "/" }, "首页"), " / ", a.kind === "faq" ? h("a", { href: "/qa" }, "常见问题") : kind),
    h(
      "article",
      { class: "article", "aria-labelledby": "article-title" },
      h("h1", { id: "article-title" }, a.kind === "faq" ? `问：${a.title}` : a.title),
      facts([
        ["类别", kind],
        ["发布单位", [a.site_name, a.department_name].filter(Boolean).join(" ")],
        ["发布日期", date(a.publish_at)],
      ]),
      h("div", { class: "article-body" }, a.kind === "faq" ? h("h2", {}, "答复") : null, paras(a.body)),
    ),
    a.matter_code
      ? h("p", {}, "相关事项：", h("a", { href: guideHref(site, a.matter_code) }, "查看办事指南"))
      : null,
    h("p", { class: "hint" }, "还有疑问？", h("a", { href: consultHref(site, a.matter_code || "", a.title.slice(0, 50)) }, "我要咨询")),
  );
}
