// 首页: the site's name, the search box with suggestions and 热搜词, 个人/法人办事, browsing by
// theme, department and life event, 热门服务, 政策公告, 智能问答 and the 长辈版 hint.

import { get } from "../api.js";
import { siteName } from "../app.js";
import { date, empty, fill, h, message } from "../ui.js";
import { add, articleHref, askBox, guideHref, searchBox } from "./browse_common.js";

const enc = encodeURIComponent;

export async function render(view) {
  const site = view.site;
  const name = await siteName(site);
  view.title(`${name}政务服务网`);
  const s = `/api/v1/sites/${enc(site)}`;
  const quiet = (p, q) => get(p, q, { auth: false }).catch((error) => ({ error }));
  const [hot, taxonomy, departments, announcements, hotMatters] = await Promise.all([
    quiet(`${s}/search/hot-words`, { size: 10 }),
    quiet("/api/v1/taxonomy"),
    quiet(`${s}/departments`),
    quiet(`${s}/announcements`, { page_size: 6 }),
    quiet(`${s}/hot-matters`, { limit: 8 }),
  ]);
  // A new site has no applications yet, so nothing is hot: show the first of its matters instead
  // of an empty list (a newcomer's first look at the portal).
  if (!hotMatters.error && !hotMatters.items?.length) {
    const some = await quiet(`${s}/matters`, { page_size: 8 });
    if (!some.error) hotMatters.items = some.items || [];
  }

  const hotWords = hot.items?.length
    ? h("nav", { class: "hot-words", "aria-label": "热门搜索" }, h("span", { class: "hot-label" }, "热门搜索："), h("ul", {}, hot.items.map((w) => h("li", {}, h("a", { href: `/search?q=${enc(w.word)}` }, w.word)))))
    : null;

  add(view.main, 
    h(
      "section",
      { class: "hero", "aria-labelledby": "home-title" },
      h("h1", { id: "home-title" }, `${name}政务服务网`),
      h("p", { class: "hero-lead" }, "一网通办，办事不求人。搜索事项，查看办事指南，在线申报。"),
      searchBox(view, { label: "搜索事项、办事指南" }),
      hotWords,
    ),
    h(
      "ul",
      { class: "cards cards-3 entry-cards" },
      entry("/matters?audience=person", "个人办事", "户籍、社保、婚育、教育、出行等个人事项"),
      entry("/matters?audience=legal_person", "法人办事", "企业开办、准营准办、税务、变更注销等法人事项"),
      entry(`/matters?audience=person&sub_audience=${enc("老年人")}`, "老年人服务专区", "为老年人办事提供便利。页面上方可切换“长辈版”：字更大、对比更强。"),
    ),
    h(
      "div",
      { class: "home-grid" },
      section("热门服务", "home-hot", hotMatters.error ? message(hotMatters.error.message, "error") : list(hotMatters.items, (m) => h("a", { href: guideHref(site, m.code) }, m.name), "暂无热门服务")),
      section(
        "政策公告",
        "home-news",
        announcements.error
          ? message(announcements.error.message, "error")
          : list(announcements.items, (a) => [h("a", { href: articleHref(site, a.id) }, a.title), " ", h("span", { class: "hint" }, date(a.publish_at))], "暂无公告"),
      ),
    ),
    askBox(site),
    browse(taxonomy, departments),
  );
}

function entry(href, title, text) {
  return h("li", { class: "card entry-card" }, h("h2", {}, h("a", { href }, title)), h("p", {}, text));
}

function section(title, id, ...content) {
  return h("section", { class: "home-box", "aria-labelledby": id }, h("h2", { id }, title), content);
}

function list(items, row, none) {
  return items?.length ? h("ul", { class: "link-list" }, items.map((x) => h("li", {}, row(x)))) : h("p", { class: "empty" }, none);
}

function chips(label, links) {
  return links.length ? h("nav", { class: "chips", "aria-label": label }, h("h3", {}, label), h("ul", {}, links.map(([href, text]) => h("li", {}, h("a", { href }, text))))) : null;
}

/** 按主题、部门、人生事件浏览: links to the matters page with the filter set. */
function browse(taxonomy, departments) {
  const t = taxonomy.error ? {} : taxonomy;
  const by = (audience, key, values) => (values || []).map((v) => [`/matters?audience=${audience}&${key}=${enc(v)}`, v]);
  const content = h(
    "div",
    { class: "browse" },
    chips("个人主题", by("person", "theme", t.person_themes)),
    chips("法人主题", by("legal_person", "theme", t.legal_person_themes)),
    chips("个人生命周期", by("person", "event", t.person_life_events)),
    chips("企业生命周期", by("legal_person", "event", t.legal_person_life_events)),
    chips("按部门", (departments.items || []).map((d) => [`/matters?department=${enc(d.code)}`, d.name])),
  );
  if (!content.children.length) fill(content, empty("暂无分类"));
  return section("分类浏览", "home-browse", taxonomy.error ? message(taxonomy.error.message, "error") : null, content);
}
