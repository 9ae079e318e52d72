// Helpers shared by 我的空间's account pages (favourites, licences, drive, addresses, security,
// enterprises): sizes, confirmation and form dialogs, page links, state tags.

import { button, dialog, h, onSubmit } from "../ui.js";

/** 1536 → "1.5 KB". */
export function bytes(n) {
  const value = Number(n) || 0;
  if (value < 1024) return `${value} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = value / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v >= 10 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

/** A tag whose meaning is in its text (never colour alone). kind: ok | warn | bad | "". */
export function tag(text, kind = "") {
  return h("span", { class: `tag${kind ? ` tag-${kind}` : ""}` }, text);
}

/** Ask before something that cannot be undone; resolves true when confirmed. */
export function confirmAction(title, text, confirmLabel = "确认") {
  return new Promise((resolve) => {
    let answered = false;
    const finish = (yes) => {
      if (answered) return;
      answered = true;
      resolve(yes);
      d.close();
    };
    const d = dialog(
      title,
      h("p", {}, text),
      h(
        "div",
        { class: "actions" },
        button(confirmLabel, () => finish(true), { class: "btn btn-danger" }),
        button("取消", () => finish(false)),
      ),
    );
    d.addEventListener("close", () => finish(false));
  });
}

/**
 * A dialog holding a form: `work(values, form)` runs on submit (its errors land on the form);
 * the dialog closes when it succeeds.
 */
export function formDialog(title, fields, submitLabel, work) {
  const form = h(
    "form",
    { class: "form", novalidate: true },
    fields,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, submitLabel)),
  );
  const d = dialog(title, form);
  onSubmit(form, async (values) => {
    await work(values, form);
    d.close();
  });
  form.querySelector("input, select, textarea")?.focus();
  return d;
}

/** 上一页 / 下一页 links for page-numbered lists, keeping the other query parameters. */
export function pageLinks(view, page, total, pageSize) {
  const pages = Math.max(1, Math.ceil((Number(total) || 0) / pageSize));
  if (pages <= 1) return null;
  const at = (n) => {
    const q = new URLSearchParams(view.query);
    q.set("page", String(n));
    return `${location.pathname}?${q}`;
  };
  return h(
    "nav",
    { class: "me-pager", "aria-label": "分页" },
    page > 1 ? h("a", { href: at(page - 1), class: "btn" }, "上一页") : null,
    h("span", { class: "pager-at" }, `第 ${page} / ${pages} 页`),
    page < pages ? h("a", { href: at(page + 1), class: "btn" }, "下一页") : null,
  );
}

/** The page number in ?page= (1 when absent or wrong). */
export function pageOf(view) {
  const n = Number.parseInt(view.query.get("page") || "1", 10);
  return Number.isFinite(n) && n > 0 ? n : 1;
}

/** Re-render the page where it is (after an action). */
export function reload(view) {
  view.navigate(location.pathname + location.search, { replace: true });
}

/** A status area the page writes its action results into (read out by screen readers). */
export function statusArea() {
  return h("div", { class: "me-status", "aria-live": "polite" });
}

/** Append children to an element, leaving out null, undefined and false (as h() does). */
export function addTo(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c);
  }
  return el;
}
