// Small DOM helpers every page uses: elements, labelled fields with their error slots, the
// problem+json errors shown next to the fields, status messages read out by screen readers.

/** h("a", {href: "/"}, "首页"): an element with attributes (on* are listeners) and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let ids = 0;
export function uid(prefix = "f") {
  ids += 1;
  return `${prefix}-${ids}`;
}

/**
 * A labelled form field with a hint and an error slot, wired by aria-describedby.
 * spec: {name, label, type ("text", "password", "textarea", "select", "checkbox", "radio", ...),
 *        required, hint, value, options: [[value, label]], attrs: {...}}
 */
export function field(spec) {
  const id = uid(spec.name.replace(/[^a-zA-Z0-9_-]/g, "_"));
  const hintId = spec.hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ");
  const common = { id, name: spec.name, "aria-describedby": describedBy, required: !!spec.required, ...spec.attrs };
  let control;
  if (spec.type === "textarea") {
    control = h("textarea", { rows: 4, ...common }, spec.value ?? "");
  } else if (spec.type === "select") {
    control = h(
      "select",
      common,
      (spec.options || []).map(([value, label]) => h("option", { value, selected: String(spec.value ?? "") === String(value) }, label)),
    );
  } else if (spec.type === "radio" || spec.type === "checkboxes") {
    const kind = spec.type === "radio" ? "radio" : "checkbox";
    const group = h(
      "fieldset",
      { class: "field choice", id, "aria-describedby": describedBy },
      h("legend", {}, spec.label, spec.required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null),
      (spec.options || []).map(([value, label], i) => {
        const oid = `${id}-${i}`;
        const checked = Array.isArray(spec.value) ? spec.value.includes(value) : String(spec.value ?? "") === String(value);
        return h("label", { class: "choice-item", for: oid }, h("input", { type: kind, id: oid, name: spec.name, value, checked, required: kind === "radio" && !!spec.required }), " ", label);
      }),
      spec.hint ? h("p", { class: "hint", id: hintId }, spec.hint) : null,
      h("p", { class: "field-error", id: errorId, "data-error-for": spec.name }),
    );
    return group;
  } else if (spec.type === "checkbox") {
    control = h("input", { type: "checkbox", ...common, checked: !!spec.value, value: "true" });
    return h(
      "div",
      { class: "field field-checkbox" },
      h("label", { for: id }, control, " ", spec.label),
      spec.hint ? h("p", { class: "hint", id: hintId }, spec.hint) : null,
      h("p", { class: "field-error", id: errorId, "data-error-for": spec.name }),
    );
  } else {
    control = h("input", { type: spec.type || "text", value: spec.value ?? "", ...common });
  }
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, spec.label, spec.required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null),
    control,
    spec.hint ? h("p", { class: "hint", id: hintId }, spec.hint) : null,
    h("p", { class: "field-error", id: errorId, "data-error-for": spec.name }),
  );
}

/** The form's values as an object (checkbox groups as arrays, a lone checkbox as a boolean). */
export function values(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled || el.type === "file" || el.type === "submit") continue;
    if (el.type === "checkbox") {
      const group = form.querySelectorAll(`input[type=checkbox][name="${CSS.escape(el.name)}"]`);
      if (group.length > 1) {
        out[el.name] ??= [];
        if (el.checked) out[el.name].push(el.value);
      } else out[el.name] = el.checked;
    } else if (el.type === "radio") {
      if (el.checked) out[el.name] = el.value;
    } else out[el.name] = el.value;
  }
  return out;
}

/** Clear a form's error marks and its summary. */
export function clearErrors(form) {
  form.querySelectorAll("[data-error-for]").forEach((p) => (p.textContent = ""));
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  form.querySelector(".error-summary")?.remove();
}

/**
 * Show an error on a form: each field error (problem+json `errors`, or {field: message} from the
 * page's own checks) next to its field, in Chinese, and a summary at the top that takes focus.
 * `aliases` maps the API's field names to the form's where they differ.
 */
export function showErrors(form, error, aliases = {}) {
  clearErrors(form);
  const fields = Array.isArray(error?.fields)
    ? error.fields
    : Object.entries(error || {}).map(([field, message_zh]) => ({ field, message_zh }));
  const items = [];
  for (const f of fields) {
    const name = aliases[f.field] ?? f.field;
    const slot = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    const text = f.message_zh || f.message || "填写有误";
    if (slot) {
      slot.textContent = text;
      const control = form.querySelector(`[name="${CSS.escape(name)}"]`);
      control?.setAttribute("aria-invalid", "true");
      const label = slot.closest(".field")?.querySelector("label, legend")?.textContent?.replace(/\s*\*$/, "") || name;
      items.push(h("li", {}, h("a", { href: `#${control?.id || slot.id}` }, `${label}：${text}`)));
    } else {
      items.push(h("li", {}, text));
    }
  }
  const headline = error instanceof Error ? error.message : "请修改以下内容后再提交";
  const summary = h(
    "div",
    { class: "error-summary", role: "alert", tabindex: "-1" },
    h("p", { class: "error-title" }, headline),
    items.length ? h("ul", {}, items) : null,
  );
  form.prepend(summary);
  summary.focus();
}

/** A status line: kind "info" | "success" | "error"; errors are alerts, others polite. */
export function message(text, kind = "info") {
  return h("div", { class: `msg msg-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/** Show an API error (or any) in a container instead of its content. */
export function failed(container, error) {
  const text =
    error?.status === 404 ? "没有找到该内容，或您无权查看。" : error?.message || "出错了，请稍后再试。";
  fill(container, message(text, "error"));
}

/** Run `work` for a submit: the button is disabled meanwhile and errors land on the form. */
export function onSubmit(form, work, aliases = {}) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("[type=submit]");
    if (button) button.disabled = true;
    clearErrors(form);
    try {
      await work(values(form), form);
    } catch (error) {
      showErrors(form, error, aliases);
    } finally {
      if (button) button.disabled = false;
    }
  });
  return form;
}

export function button(label, onclick, attrs = {}) {
  return h("button", { type: "button", class: "btn", onclick, ...attrs }, label);
}

export function link(href, label, attrs = {}) {
  return h("a", { href, ...attrs }, label);
}

/** Beijing time, as 2026-12-04 09:30. */
export function time(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const parts = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).formatToParts(d);
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

export function date(iso) {
  return time(iso).slice(0, 10);
}

/** A definition list from [[term, value], ...] (empty values left out). */
export function facts(rows) {
  return h(
    "dl",
    { class: "facts" },
    rows
      .filter(([, v]) => v !== undefined && v !== null && v !== "")
      .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
  );
}

/** A table with a caption, header row and rows of cells (strings or nodes). */
export function table(caption, headers, rows) {
  return h(
    "div",
    { class: "table-wrap", role: "region", "aria-label": caption, tabindex: "0" },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c))))),
    ),
  );
}

/** Tabs as links (each tab is its own address, so back and forward work). */
export function tabs(label, items, current) {
  return h(
    "nav",
    { class: "tabs", "aria-label": label },
    h(
      "ul",
      {},
      items.map(([href, text, key]) =>
        h("li", {}, h("a", { href, "aria-current": key === current ? "page" : null }, text)),
      ),
    ),
  );
}

/** Page back and forth: page_token style ("next") paging. */
export function pager(next, onNext) {
  return next ? h("p", { class: "pager" }, button("加载更多", () => onNext(next))) : null;
}

export function empty(text = "暂无内容") {
  return h("p", { class: "empty" }, text);
}

/** A modal dialog (native <dialog>), closed by Esc or its close button; returns the element. */
export function dialog(title, ...content) {
  const titleId = uid("dlg");
  const d = h(
    "dialog",
    { class: "dialog", "aria-labelledby": titleId },
    h("div", { class: "dialog-head" }, h("h2", { id: titleId }, title), button("关闭", () => d.close(), { class: "btn btn-plain", "aria-label": "关闭对话框" })),
    h("div", { class: "dialog-body" }, content),
  );
  d.addEventListener("close", () => d.remove());
  document.body.append(d);
  d.showModal();
  return d;
}
