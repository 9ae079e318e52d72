// 搜索结果: matters, announcements or FAQs of the site (and its ancestors) for ?q=, with the
// matched words marked, paging, and a no-result state that suggests what to try instead.

import { get } from "../api.js";
import { date, h, message, tabs } from "../ui.js";
import { KINDS, add, articleHref, consultHref, guideHref, marked, searchBox, tag } from "./browse_common.js";

const enc = encodeURIComponent;
const PAGE_SIZE = 10;

export async function render(view) {
  const q = (view.query.get("q") || "").trim().slice(0, 100);
  const kind = KINDS[view.query.get("type")] ? view.query.get("type") : "matter";
  const page = Math.min(100, Math.max(1, parseInt(view.query.get("page") || "1", 10) || 1));
  const site = view.site;
  const here = (k, p = 1) => `/search?q=${enc(q)}${k !== "matter" ? `&type=${k}` : ""}${p > 1 ? `&page=${p}` : ""}`;

  view.title(q ? `“${q}”的搜索结果` : "搜索");
  add(view.main, h("h1", {}, q ? `“${q}”的搜索结果` : "搜索"), searchBox(view, { label: "搜索关键词", value: q }));
  if (!q) {
    add(view.main, h("p", {}, "请输入要办理的事项或关键词，例如“营业执照”“身份证”。"), await hotWords(site));
    return;
  }
  add(view.main, 
    tabs(
      "结果类型",
      Object.entries(KINDS).map(([k, text]) => [here(k), text, k]),
      kind,
    ),
  );
  const body = await get(`/api/v1/sites/${enc(site)}/search`, { q, kind, page, page_size: PAGE_SIZE }, { auth: false });
  const items = body.items || [];
  const total = body.page?.total || 0;
  const notes = [];
  if (body.corrected && body.did_you_mean) {
    notes.push(message(`没有找到“${body.original_query || q}”的结果，已为您显示“${body.did_you_mean}”的结果。`, "info"));
  } else if (body.did_you_mean) {
    notes.push(h("p", { class: "did-you-mean" }, "你是不是要找：", h("a", { href: `/search?q=${enc(body.did_you_mean)}${kind !== "matter" ? `&type=${kind}` : ""}` }, body.did_you_mean)));
  }
  const widened = [...(body.synonyms_used || []), ...(body.intents_used || [])];
  if (widened.length) notes.push(h("p", { class: "hint" }, `已按“${widened.join("”“")}”的常用说法扩展搜索。`));

  if (!items.length) {
    add(view.main, 
      notes,
      message(`没有找到与“${q}”相关的${KINDS[kind]}。`, "info"),
      h(
        "div",
        { class: "no-result" },
        h("h2", {}, "您可以试试"),
        h(
          "ul",
          {},
          h("li", {}, "换一个说法，或使用更短的关键词，例如“营业执照”“社保”。"),
          h("li", {}, "在其他类型中查找：", Object.entries(KINDS).filter(([k]) => k !== kind).map(([k, t]) => [h("a", { href: here(k) }, t), " "])),
          h("li", {}, "按分类浏览：", h("a", { href: "/matters?audience=person" }, "个人办事"), " ", h("a", { href: "/matters?audience=legal_person" }, "法人办事")),
          h("li", {}, "仍未找到？", h("a", { href: consultHref(site, "", q) }, "我要咨询")),
        ),
        await hotWords(site),
      ),
    );
    return;
  }
  const pages = Math.max(1, Math.ceil(total / (body.page?.page_size || PAGE_SIZE)));
  add(view.main, 
    notes,
    h("p", { class: "result-count", role: "status" }, `共找到 ${total} 条${KINDS[kind]}，第 ${page} / ${pages} 页`),
    h("ol", { class: "results", start: (page - 1) * PAGE_SIZE + 1 }, items.map((hit) => result(hit, site))),
    pages > 1
      ? h(
          "nav",
          { class: "paging", "aria-label": "分页" },
          page > 1 ? h("a", { class: "btn", href: here(kind, page - 1) }, "上一页") : null,
          h("span", {}, `第 ${page} / ${pages} 页`),
          page < pages && page < 100 ? h("a", { class: "btn", href: here(kind, page + 1) }, "下一页") : null,
        )
      : null,
  );
}

function result(hit, site) {
  const matter = hit.kind === "matter";
  const href = matter ? guideHref(site, hit.id) : articleHref(site, hit.id);
  return h(
    "li",
    { class: "result" },
    h("h2", {}, h("a", { href }, marked(hit.title_highlighted || hit.title))),
    hit.snippet ? h("p", { class: "snippet" }, marked(hit.snippet)) : null,
    h(
      "p",
      { class: "tags" },
      tag(KINDS[hit.kind] || "事项"),
      matter && hit.type_label ? tag(hit.type_label) : null,
      matter && hit.online_application ? tag("可网上申报", "tag-ok") : null,
      " ",
      h("span", { class: "matter-meta" }, [hit.department_name, hit.site_name, !matter ? date(hit.publish_at) : ""].filter(Boolean).join(" · ")),
    ),
  );
}

async function hotWords(site) {
  try {
    const body = await get(`/api/v1/sites/${enc(site)}/search/hot-words`, { size: 10 }, { auth: false });
    if (!body.items?.length) return null;
    return h("nav", { class: "hot-words", "aria-label": "大家都在搜" }, h("span", { class: "hot-label" }, "大家都在搜："), h("ul", {}, body.items.map((w) => h("li", {}, h("a", { href: `/search?q=${enc(w.word)}` }, w.word)))));
  } catch {
    return null;
  }
}
