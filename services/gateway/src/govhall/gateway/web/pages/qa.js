// 咨询公开: the site's answered letters made public (without names or numbers) and its 常见问题,
// with the 智能问答 box and 我要咨询.

import { get } from "../api.js";
import { siteName } from "../app.js";
import { button, date, empty, fill, h, message } from "../ui.js";
import { add, articleHref, askBox, consultHref, guideHref, paras } from "./browse_common.js";

const enc = encodeURIComponent;
const LETTER_KIND = { consultation: "咨询", complaint: "投诉", suggestion: "建议" };
const PAGE_SIZE = 10;

export async function render(view) {
  const site = view.site;
  view.title("咨询公开");
  const name = await siteName(site);
  const letters = h("div", { class: "letters" });
  const faqs = h("div", { class: "faqs" });
  add(view.main, 
    h("h1", {}, "咨询公开"),
    h("p", {}, `${name}公开答复的咨询、投诉和建议，以及常见问题。`, h("a", { class: "btn btn-primary qa-consult", href: consultHref(site) }, "我要咨询")),
    askBox(site),
    h("section", { "aria-labelledby": "qa-faqs" }, h("h2", { id: "qa-faqs" }, "常见问题"), faqs),
    h("section", { "aria-labelledby": "qa-letters" }, h("h2", { id: "qa-letters" }, "公开答复"), letters),
  );
  await Promise.all([
    more(faqs, (page) => get(`/api/v1/sites/${enc(site)}/faqs`, { page, page_size: PAGE_SIZE }, { auth: false }), (a) => faq(a, site), "暂无常见问题。", "加载更多常见问题"),
    more(letters, (page) => get(`/api/v1/sites/${enc(site)}/consultations`, { page, page_size: PAGE_SIZE }, { auth: false }), (x) => letter(x, site), "暂无公开答复。", "加载更多公开答复"),
  ]);
}

/** A list that loads page after page into `box` (加载更多). */
async function more(box, load, row, none, label) {
  const list = h("ul", { class: "qa-list" });
  const foot = h("div", {});
  const step = async (page) => {
    try {
      const body = await load(page);
      list.append(...(body.items || []).map(row));
      const total = body.page?.total || 0;
      if (page === 1 && !total) fill(box, empty(none));
      else fill(foot, page * PAGE_SIZE < total ? h("p", { class: "pager" }, button(label, () => step(page + 1))) : null);
    } catch (error) {
      fill(foot, message(error.message, "error"));
    }
  };
  fill(box, list, foot);
  await step(1);
}

function faq(a, site) {
  return h("li", {}, h("details", { class: "faq" }, h("summary", {}, a.title), paras(a.body), h("p", {}, h("a", { href: articleHref(site, a.id) }, "查看详情"))));
}

function letter(x, site) {
  return h(
    "li",
    { class: "card letter" },
    h("h3", {}, `【${LETTER_KIND[x.kind] || "咨询"}】${x.title}`),
    h("div", { class: "letter-q" }, h("p", { class: "qa-label" }, "问："), paras(x.question)),
    h("div", { class: "letter-a" }, h("p", { class: "qa-label" }, "答："), paras(x.answer)),
    h("p", { class: "hint" }, x.replied_at ? `答复时间：${date(x.replied_at)}` : "", x.matter_code ? ["　", h("a", { href: guideHref(site, x.matter_code) }, "相关办事指南")] : null),
  );
}
