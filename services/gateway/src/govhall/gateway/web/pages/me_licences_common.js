// What the licence pages share: level and state names, the licence types a holder may keep, and
// the fields of a level-C licence (its type's metadata included).

import { get } from "../api.js";
import { field } from "../ui.js";
import { tag } from "./me_common.js";

export const LEVELS = {
  A: "A级（办件签发）",
  B: "B级（历史导入）",
  C: "C级（本人留存）",
};

const STATES = {
  valid: ["有效", "ok"],
  suspended: ["已暂停", "warn"],
  revoked: ["已注销", "bad"],
  expired: ["已过期", "bad"],
};

export function stateTag(state) {
  const [label, kind] = STATES[state] || [state || "未知", ""];
  return tag(label, kind);
}

const types = new Map();

/** One licence type (cached for the tab). */
export async function licenceType(code) {
  if (!types.has(code)) types.set(code, await get(`/api/v1/licence-types/${encodeURIComponent(code)}`));
  return types.get(code);
}

/** The types whose holders may keep their own licences, for this kind of holder. */
export async function keepableTypes(holderKind) {
  const found = [];
  for (let page = 1; page <= 5; page += 1) {
    const body = await get("/api/v1/licence-types", { page, page_size: 100 });
    for (const t of body.items || []) {
      if (t.holder_maintained && (!holderKind || t.holder_kind === holderKind)) found.push(t);
    }
    if (page * 100 >= (body.page?.total || 0)) break;
  }
  return found;
}

/** The editable details of a level-C licence: number, dates, issuer and the type's own fields. */
export function licenceFields(kind, licence = {}) {
  const meta = licence.metadata || {};
  return [
    field({ name: "number", label: "证照编号", required: true, value: licence.number }),
    field({ name: "issued_on", label: "发证日期", type: "date", required: true, value: licence.issued_on }),
    field({ name: "valid_until", label: "有效期至", type: "date", hint: "长期有效可不填", value: licence.valid_until }),
    field({ name: "issuer_name", label: "发证机关", value: licence.issuer_name || "", hint: kind?.issuer_name ? `如：${kind.issuer_name}` : null }),
    (kind?.fields || []).map((f) =>
      field({ name: `metadata.${f.key}`, label: f.label || f.key, required: !!f.required, value: meta[f.key] || "" }),
    ),
  ];
}

/** The form's values split into the licence's details and its metadata object. */
export function licenceValues(values) {
  const details = {};
  const metadata = {};
  for (const [k, v] of Object.entries(values)) {
    if (k.startsWith("metadata.")) {
      if (String(v).trim()) metadata[k.slice("metadata.".length)] = String(v).trim();
    } else details[k] = typeof v === "string" ? v.trim() : v;
  }
  return { details, metadata };
}
