// What the public browsing pages share: the guide's labels, the search box with suggestions (an
// ARIA combobox), search highlights as <mark>, matter cards and the 智能问答 box.

import { get, post } from "../api.js";
import { fill, field, h, message, onSubmit, uid } from "../ui.js";

export const AUDIENCES = { person: "自然人", legal_person: "法人" };
export const HANDLING = { instant: "即办件", promised: "承诺件" };
export const DEPTHS = { 1: "一级（办事指南公开）", 2: "二级（在线预审）", 3: "三级（在线申办）", 4: "四级（全程网办）" };
export const FORMS = { original: "原件", copy: "复印件", original_and_copy: "原件和复印件", electronic: "电子材料" };
export const NECESSITY = { required: "必要", conditional: "情形必要", optional: "非必要" };
export const SOURCES = { applicant: "申请人自备", licence: "电子证照复用", government: "政府部门核发" };
export const ROLES = { window_clerk: "窗口受理", reviewer: "审核", approver: "审批" };
export const KINDS = { matter: "办事事项", announcement: "政策公告", faq: "常见问题" };

const enc = encodeURIComponent;
export const guideHref = (site, code) => `/guide/${enc(site)}/${enc(code)}`;
export const articleHref = (site, id) => `/articles/${enc(site)}/${enc(id)}`;

/** A time limit as 10 个工作日 (empty when not set). */
export function limit(t) {
  if (!t || !t.value) return "";
  return `${t.value} 个${t.unit === "natural_day" ? "自然日" : "工作日"}`;
}

export function yuan(money) {
  return `${((money?.amount_fen || 0) / 100).toFixed(2)} 元`;
}

/** Plain text with line breaks as paragraphs. */
export function paras(text) {
  return String(text || "")
    .split(/\n+/)
    .filter((line) => line.trim())
    .map((line) => h("p", {}, line));
}

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function unescapeHtml(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (all, e) => {
    if (e[0] === "#") {
      const n = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(n) ? String.fromCodePoint(n) : all;
    }
    return ENTITIES[e.toLowerCase()] ?? all;
  });
}

/**
 * The search's highlighted text (matches in <em>…</em>, the rest HTML-escaped) as text nodes and
 * <mark> elements: nothing from the API is ever parsed as HTML.
 */
export function marked(highlighted) {
  const out = [];
  let on = false;
  for (const part of String(highlighted || "").split(/(<em>|<\/em>)/)) {
    if (part === "<em>") on = true;
    else if (part === "</em>") on = false;
    else if (part) {
      const text = unescapeHtml(part.replace(/<[^>]*>/g, ""));
      out.push(on ? h("mark", {}, text) : text);
    }
  }
  return out;
}

export function tag(text, kind = "") {
  return h("span", { class: `tag ${kind}`.trim() }, text);
}

/** A matter as a card in a list, its name linking to the guide. */
export function matterCard(m, site, level = "h3") {
  return h(
    "li",
    { class: "card matter-card" },
    h(level, {}, h("a", { href: guideHref(site, m.code) }, m.name)),
    h("p", { class: "matter-meta" }, [m.department_name, m.site_name].filter(Boolean).join(" · ")),
    h(
      "p",
      { class: "tags" },
      m.type_label ? tag(m.type_label) : null,
      m.handling_type ? tag(HANDLING[m.handling_type] || m.handling_type) : null,
      m.online_application ? tag("可网上申报", "tag-ok") : null,
      m.appointment ? tag("可预约", "tag-ok") : null,
      limit(m.promised_limit) ? tag(`承诺时限 ${limit(m.promised_limit)}`) : null,
    ),
  );
}

/**
 * The search form with suggestions as the visitor types: an ARIA 1.2 combobox (arrow keys move
 * through the list, Enter opens the chosen guide, Esc closes); submitting searches.
 */
export function searchBox(view, { label = "搜索事项、办事指南", value = "", button = "搜索" } = {}) {
  const id = uid("q");
  const listId = `${id}-list`;
  const input = h("input", {
    id,
    name: "q",
    type: "search",
    role: "combobox",
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": listId,
    "aria-describedby": `${id}-hint`,
    autocomplete: "off",
    maxlength: 100,
    value,
    placeholder: "例如：营业执照、身份证、开饭店",
  });
  const list = h("ul", { id: listId, role: "listbox", class: "suggest-list", "aria-label": "搜索建议", hidden: true });
  const status = h("p", { class: "visually-hidden", role: "status" });
  const form = h(
    "form",
    { class: "big-search", role: "search", action: "/search" },
    h("label", { for: id, class: "visually-hidden" }, label),
    h("div", { class: "big-search-row" }, h("div", { class: "suggest-wrap" }, input, list), h("button", { type: "submit", class: "btn btn-primary" }, button)),
    h("p", { id: `${id}-hint`, class: "visually-hidden" }, "输入时会出现建议，用上下方向键选择，回车打开办事指南。"),
    status,
  );
  let items = [];
  let active = -1;
  let asked = 0;
  let timer = 0;
  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const open = (i) => {
    const s = items[i];
    if (s) view.navigate(guideHref(view.site, s.matter_code));
  };
  const highlight = (i) => {
    active = i;
    [...list.children].forEach((li, k) => li.setAttribute("aria-selected", k === i ? "true" : "false"));
    if (i >= 0) input.setAttribute("aria-activedescendant", `${listId}-${i}`);
    else input.removeAttribute("aria-activedescendant");
  };
  const show = (found) => {
    items = found;
    fill(
      list,
      found.map((s, i) =>
        h("li", { id: `${listId}-${i}`, role: "option", "aria-selected": "false", class: "suggest-item", onclick: () => open(i) }, s.text),
      ),
    );
    active = -1;
    if (found.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = `有 ${found.length} 条建议`;
    } else {
      close();
      status.textContent = "";
    }
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) {
      show([]);
      return;
    }
    timer = setTimeout(async () => {
      const mine = ++asked;
      try {
        const body = await get(`/api/v1/sites/${enc(view.site)}/search/suggest`, { q: q.slice(0, 30), size: 8 }, { auth: false });
        if (mine === asked && input.value.trim()) show(body.items || []);
      } catch {
        if (mine === asked) show([]);
      }
    }, 150);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!items.length) return;
      e.preventDefault();
      if (list.hidden) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
      let next = active + (e.key === "ArrowDown" ? 1 : -1);
      if (next >= items.length) next = -1;
      if (next < -1) next = items.length - 1;
      highlight(next);
    } else if (e.key === "Enter" && active >= 0 && !list.hidden) {
      e.preventDefault();
      open(active);
    } else if (e.key === "Escape" && !list.hidden) {
      e.preventDefault();
      close();
    }
  });
  // A tap on a suggestion must not blur the box first (which closes the list).
  list.addEventListener("pointerdown", (e) => e.preventDefault());
  input.addEventListener("blur", close);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const q = input.value.trim();
    if (!q) {
      input.focus();
      return;
    }
    close();
    view.navigate(`/search?q=${enc(q)}`);
  });
  return form;
}

/** 智能问答: a question answered from the site's guides and FAQs, citing them; else 我要咨询. */
export function askBox(site, { level = "h2" } = {}) {
  const headingId = uid("ask");
  const result = h("div", { class: "ask-result", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "ask-form", novalidate: true },
    field({ name: "question", label: "您的问题", required: true, hint: "例如：办理食品经营许可需要什么材料？", attrs: { maxlength: 200 } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "提问")),
  );
  onSubmit(form, async ({ question }) => {
    if (!question.trim()) throw { question: "请输入您的问题" };
    fill(result, h("p", { class: "hint" }, "正在查找答案…"));
    try {
      fill(result, answer(await post(`/api/v1/sites/${enc(site)}/ask`, { question: question.trim() }, { auth: false }), site));
    } catch (error) {
      fill(result);
      throw error;
    }
  });
  return h(
    "section",
    { class: "card ask", "aria-labelledby": headingId },
    h(level, { id: headingId }, "智能问答"),
    h("p", { class: "hint" }, "根据本站办事指南和常见问题自动回答，仅供参考。"),
    form,
    result,
  );
}

export function consultHref(site, matter = "", title = "") {
  const q = new URLSearchParams({ site });
  if (matter) q.set("matter", matter);
  if (title) q.set("title", title);
  return `/consult/new?${q}`;
}

function answer(a, site) {
  if (!a.answered) {
    return h(
      "div",
      { class: "ask-answer" },
      message(a.message || "抱歉，暂时没有找到可靠的答案。", "info"),
      h("p", {}, "您可以向相关部门提交咨询，工作人员会在规定时间内答复。"),
      h("p", {}, h("a", { class: "btn btn-primary", href: consultHref(site, a.consult?.prefill?.matter_code || "", a.consult?.prefill?.title || "") }, "我要咨询")),
    );
  }
  const c = a.citation;
  const source = c
    ? c.kind === "faq" && c.faq_id
      ? h("a", { href: articleHref(site, c.faq_id) }, `常见问题：${c.faq_title || c.matter_name}`)
      : h("a", { href: guideHref(site, c.matter_code) }, `${c.matter_name}办事指南 · ${c.element_label}`)
    : null;
  return h(
    "div",
    { class: "ask-answer" },
    h("h3", {}, "回答"),
    paras(a.answer),
    // The items as a list, unless the answer has said each of them already.
    a.items?.length && !a.items.every((x) => String(a.answer || "").includes(x)) ? h("ul", {}, a.items.map((x) => h("li", {}, x))) : null,
    source ? h("p", { class: "citation" }, "来源：", source) : null,
    h("p", { class: "hint" }, "没有解决您的问题？", h("a", { href: consultHref(site, c?.matter_code || "", a.question) }, "我要咨询")),
  );
}

/** Append children as h() does: arrays flattened, null and false left out, strings as text. */
export function add(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c);
  }
  return el;
}
