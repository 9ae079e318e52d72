// An application form drawn from the matter's JSON Schema (form_schema): an object's properties
// as labelled fields (title as the label, description as the hint), nested objects as fieldsets,
// enums as radios or a select, arrays of strings as lines of a textarea (or checkboxes when their
// items are an enum). Every control is named by its path, "form.agent.name", the name the
// gateway's problem+json uses for its field errors, so those land next to the fields as they are.
// `collect()` reads the values back into a JSON object; `check()` applies the schema's own rules
// in the browser with Chinese messages.

import { field, h } from "../ui.js";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The form's parts for `schema` filled with `value`; top-level properties in `hidden` are left out,
 * and those in `shown` (sections the chosen situations show) must be filled in like required ones.
 */
export function schemaForm(schema, value = {}, hidden = new Set(), shown = new Set()) {
  const base = schema && schema.type === "object" ? schema : { type: "object", properties: {} };
  const root = { ...base, required: [...new Set([...(base.required || []), ...[...shown].filter((x) => base.properties?.[x])])] };
  const nodes = objectFields(root, value || {}, "form", hidden);
  return { nodes, collect: (form) => collectObject(root, form, "form", hidden), check: (form) => checkObject(root, form, "form", hidden, true) };
}

/** Whether the schema asks for anything at all. */
export function hasFields(schema) {
  return !!schema && Object.keys(schema.properties || {}).length > 0;
}

function entries(schema, hidden) {
  return Object.entries(schema.properties || {}).filter(([name, s]) => s && typeof s === "object" && !hidden.has(name));
}

function labelOf(name, s) {
  return s.title || name;
}

/** [[value, label]] of an enum: oneOf/anyOf of {const, title}, or enum (with enumNames, if given). */
export function choices(s) {
  const alternatives = s.oneOf || s.anyOf;
  if (Array.isArray(alternatives) && alternatives.every((a) => a && "const" in a)) {
    return alternatives.map((a) => [String(a.const), a.title || String(a.const)]);
  }
  if (Array.isArray(s.enum)) return s.enum.map((v, i) => [String(v), s.enumNames?.[i] || String(v)]);
  return null;
}

function kindOf(s) {
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== "null") : s.type;
  return t || (s.properties ? "object" : "string");
}

function hintOf(s) {
  const rules = [];
  if (s.minLength && s.maxLength) rules.push(`${s.minLength}～${s.maxLength} 个字`);
  else if (s.minLength) rules.push(`至少 ${s.minLength} 个字`);
  else if (s.maxLength) rules.push(`最多 ${s.maxLength} 个字`);
  if (s.minimum !== undefined && s.maximum !== undefined) rules.push(`${s.minimum}～${s.maximum}`);
  else if (s.minimum !== undefined) rules.push(`不小于 ${s.minimum}`);
  else if (s.maximum !== undefined) rules.push(`不大于 ${s.maximum}`);
  const text = [s.description, rules.length ? `（${rules.join("，")}）` : ""].filter(Boolean).join(" ");
  return text || undefined;
}

function objectFields(schema, value, path, hidden = new Set()) {
  const required = new Set(schema.required || []);
  return entries(schema, hidden).map(([name, s]) => fieldFor(name, s, value?.[name], `${path}.${name}`, required.has(name)));
}

function fieldFor(name, s, value, path, required) {
  const label = labelOf(name, s);
  const hint = hintOf(s);
  const kind = kindOf(s);
  if (kind === "object") {
    return h(
      "fieldset",
      { class: "field form-section", "data-path": path },
      h("legend", {}, label, required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null),
      s.description ? h("p", { class: "hint" }, s.description) : null,
      h("p", { class: "field-error", "data-error-for": path }),
      objectFields(s, value || {}, path),
    );
  }
  if (kind === "array") {
    const items = s.items || {};
    const options = choices(items);
    const list = Array.isArray(value) ? value.map(String) : [];
    if (options) return field({ name: path, label, type: "checkboxes", required, hint, value: list, options });
    return field({
      name: path,
      label,
      type: "textarea",
      required,
      value: list.join("\n"),
      hint: [hint, "每行填写一项"].filter(Boolean).join(" "),
      attrs: { rows: 3, "data-kind": "lines" },
    });
  }
  if (kind === "boolean") {
    return field({ name: path, label, type: "checkbox", value: value === true, hint });
  }
  const options = choices(s);
  const text = value === undefined || value === null ? "" : String(value);
  if (options) {
    if (options.length <= 4) return field({ name: path, label, type: "radio", required, hint, value: text, options });
    return field({ name: path, label, type: "select", required, hint, value: text, options: [["", "请选择"], ...options] });
  }
  if (kind === "number" || kind === "integer") {
    const attrs = { inputmode: kind === "integer" ? "numeric" : "decimal", "data-kind": kind };
    if (s.minimum !== undefined) attrs.min = s.minimum;
    if (s.maximum !== undefined) attrs.max = s.maximum;
    attrs.step = kind === "integer" ? 1 : "any";
    return field({ name: path, label, type: "number", required, hint, value: text, attrs });
  }
  const type = s.format === "date" ? "date" : s.format === "email" ? "email" : s.format === "uri" ? "url" : "text";
  const attrs = {};
  if (s.maxLength) attrs.maxlength = s.maxLength;
  if (type === "email") attrs.autocomplete = "email";
  const long = type === "text" && (s.maxLength || 0) >= 200;
  return field({ name: path, label, type: long ? "textarea" : type, required, hint, value: text, attrs });
}

// Reading the values back -------------------------------------------------------------------

function controls(form, path) {
  return [...form.querySelectorAll(`[name="${CSS.escape(path)}"]`)];
}

function readLeaf(form, s, path) {
  const kind = kindOf(s);
  const els = controls(form, path);
  if (!els.length) return undefined;
  if (kind === "array") {
    if (els[0].type === "checkbox") return els.filter((e) => e.checked).map((e) => e.value);
    return els[0].value.split("\n").map((x) => x.trim()).filter(Boolean);
  }
  if (kind === "boolean") return els[0].checked;
  let raw;
  if (els[0].type === "radio") raw = els.find((e) => e.checked)?.value ?? "";
  else raw = els[0].value.trim();
  if (raw === "") return undefined;
  if (kind === "number" || kind === "integer") {
    const n = Number(raw);
    return Number.isFinite(n) ? n : raw;
  }
  // An enum of numbers keeps its type.
  const options = s.enum || (s.oneOf || s.anyOf || []).map((a) => a?.const);
  const typed = options?.find((o) => String(o) === raw);
  return typed !== undefined ? typed : raw;
}

function isEmpty(v) {
  return v === undefined || (Array.isArray(v) && v.length === 0) || (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0);
}

function collectObject(schema, form, path, hidden = new Set()) {
  const out = {};
  for (const [name, s] of entries(schema, hidden)) {
    const p = `${path}.${name}`;
    const v = kindOf(s) === "object" ? collectObject(s, form, p) : readLeaf(form, s, p);
    if (!isEmpty(v) || (v === false && kindOf(s) === "boolean")) out[name] = v;
  }
  return out;
}

// Checking in the browser --------------------------------------------------------------------

function checkObject(schema, form, path, hidden, present) {
  const problems = {};
  const required = new Set(schema.required || []);
  for (const [name, s] of entries(schema, hidden)) {
    const p = `${path}.${name}`;
    if (kindOf(s) === "object") {
      const inner = collectObject(s, form, p);
      if (required.has(name) || !isEmpty(inner)) Object.assign(problems, checkObject(s, form, p, new Set(), true));
      continue;
    }
    const v = readLeaf(form, s, p);
    const message = present ? checkLeaf(s, v, required.has(name)) : null;
    if (message) problems[p] = message;
  }
  return problems;
}

function checkLeaf(s, v, required) {
  const kind = kindOf(s);
  if (isEmpty(v)) return required && kind !== "boolean" ? "此项必填" : null;
  if (kind === "array") {
    if (s.minItems && v.length < s.minItems) return `至少填写 ${s.minItems} 项`;
    if (s.maxItems && v.length > s.maxItems) return `最多填写 ${s.maxItems} 项`;
    const item = s.items || {};
    for (const [i, x] of v.entries()) {
      const m = checkLeaf(item, x, false);
      if (m) return `第 ${i + 1} 项：${m}`;
    }
    return null;
  }
  if (kind === "number" || kind === "integer") {
    if (typeof v !== "number") return "请输入数字";
    if (kind === "integer" && !Number.isInteger(v)) return "请输入整数";
    if (s.minimum !== undefined && v < s.minimum) return `不能小于 ${s.minimum}`;
    if (s.maximum !== undefined && v > s.maximum) return `不能大于 ${s.maximum}`;
    if (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum) return `应大于 ${s.exclusiveMinimum}`;
    if (s.exclusiveMaximum !== undefined && v >= s.exclusiveMaximum) return `应小于 ${s.exclusiveMaximum}`;
    return null;
  }
  if (kind === "string" && typeof v === "string") {
    const length = [...v].length;
    if (s.minLength && length < s.minLength) return `至少 ${s.minLength} 个字`;
    if (s.maxLength && length > s.maxLength) return `最多 ${s.maxLength} 个字`;
    if (s.format === "email" && !EMAIL.test(v)) return "请输入有效的电子邮箱地址";
    if (s.format === "date" && (!DATE.test(v) || Number.isNaN(Date.parse(v)))) return "请输入有效的日期";
    if (s.pattern) {
      try {
        if (!new RegExp(s.pattern, "u").test(v)) return "格式不正确";
      } catch {
        // A pattern the browser cannot read: the server checks it.
      }
    }
  }
  return null;
}

/**
 * Put the server's field names onto the form's: "form.items.0" lands on "form.items", a name
 * with no slot on the nearest enclosing one that has a slot.
 */
export function onFormSlots(form, fields) {
  return fields.map((f) => {
    let name = f.field || "";
    while (name && !form.querySelector(`[data-error-for="${CSS.escape(name)}"]`)) {
      const cut = name.lastIndexOf(".");
      if (cut < 0) break;
      name = name.slice(0, cut);
    }
    return { ...f, field: form.querySelector(`[data-error-for="${CSS.escape(name)}"]`) ? name : f.field };
  });
}
