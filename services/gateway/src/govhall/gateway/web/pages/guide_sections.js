// The sections of a 办事指南: basic information, conditions, materials by situation (情形),
// fees, process, places, legal basis, notice and FAQs; each an <section> with its <h2>.

import { date, facts, fill, h } from "../ui.js";
import { AUDIENCES, DEPTHS, FORMS, HANDLING, NECESSITY, ROLES, SOURCES, articleHref, limit, paras, tag, yuan } from "./browse_common.js";

export function section(id, title, ...content) {
  return h("section", { class: "guide-section", id, "aria-labelledby": `${id}-h` }, h("h2", { id: `${id}-h` }, title), content);
}

const yesNo = (on, yes = "支持", no = "不支持") => (on ? yes : no);

export function basics(m) {
  const g = m.guide || {};
  return section(
    "g-basic",
    "基本信息",
    facts([
      ["事项名称", m.name],
      ["事项编码", m.code],
      ["基本编码", m.base_code],
      ["事项类型", m.type_label],
      ["实施主体", [m.site_name, m.department_name].filter(Boolean).join(" ")],
      ["服务对象", [...(m.audiences || []).map((a) => AUDIENCES[a] || a), ...(m.sub_audiences || [])].join("、")],
      ["办件类型", HANDLING[m.handling_type] || ""],
      ["法定办结时限", limit(m.legal_limit) || (m.handling_type === "instant" ? "即办" : "")],
      ["承诺办结时限", limit(m.promised_limit) || (m.handling_type === "instant" ? "即办" : "")],
      ["是否收费", m.fees?.charged ? "收费（见收费标准）" : "不收费"],
      ["到办事现场次数", `${m.visits ?? 0} 次`],
      ["网上办理深度", DEPTHS[m.online_depth] || ""],
      ["网上申报", yesNo(m.online_application)],
      ["预约办理", yesNo(m.appointment)],
      ["结果快递送达", yesNo(m.express_delivery)],
      ["审批结果", m.result_name],
      ["咨询电话", g.consult_phone],
      ["监督投诉电话", g.complaint_phone],
      ["主题分类", (m.themes || []).join("、")],
      ["生命周期", (m.life_events || []).join("、")],
      ["指南版本", m.version ? `第 ${m.version} 版${m.published_at ? `，${date(m.published_at)} 发布` : ""}` : ""],
    ]),
  );
}

export function text(id, title, value) {
  return value && String(value).trim() ? section(id, title, h("div", { class: "guide-text" }, paras(value))) : null;
}

// A file the site uploaded (/api/v1/sites/{site}/files/{sha256}): its last segment is a hash,
// and the server's Content-Disposition names the file.
const SITE_FILE = /^\/api\/v1\/sites\/[^/]+\/files\/[0-9a-f]{64}$/;

/** A stored file reference as a link when it is an address, else its name. */
function fileLink(label, ref) {
  if (!ref) return null;
  const name = String(ref).split("/").pop();
  if (SITE_FILE.test(ref)) {
    return h("a", { href: ref, download: "", class: "file-link", "aria-label": `下载${label}` }, `下载${label}`);
  }
  if (/^https?:\/\//i.test(ref) || (ref.startsWith("/") && !ref.startsWith("//"))) {
    return h("a", { href: ref, download: name, class: "file-link", "aria-label": `下载${label}：${name}` }, `下载${label}`);
  }
  return h("span", { class: "file-ref" }, `${label}：${name}（可到办理窗口领取）`);
}

function materialItem(mat) {
  return h(
    "li",
    { class: "material", dataset: { code: mat.code } },
    h("h3", {}, mat.name),
    h(
      "p",
      { class: "tags" },
      tag(NECESSITY[mat.necessity] || "必要", mat.necessity === "required" ? "tag-warn" : ""),
      mat.form ? tag(FORMS[mat.form] || mat.form) : null,
      mat.copies ? tag(`${mat.copies} 份`) : null,
      mat.source ? tag(SOURCES[mat.source] || mat.source) : null,
    ),
    mat.condition ? h("p", {}, h("strong", {}, "适用情形："), mat.condition) : null,
    mat.acceptance_standard ? h("p", {}, h("strong", {}, "受理标准："), mat.acceptance_standard) : null,
    mat.accepted_types?.length ? h("p", { class: "hint" }, `网上申报可上传：${mat.accepted_types.map((t) => t.toUpperCase()).join("、")}`) : null,
    mat.template_file || mat.sample_file ? h("p", { class: "file-links" }, fileLink("空白表格", mat.template_file), " ", fileLink("示例样表", mat.sample_file)) : null,
  );
}

/**
 * 申请材料, with the 情形 questions above them: answering them narrows the list to what the
 * visitor's case needs (a conditional material stays until every question naming it is answered).
 */
export function materials(m) {
  const mats = m.materials || [];
  const situations = m.situations || [];
  const byCode = new Map(mats.map((x) => [x.code, x]));
  const list = h("ol", { class: "materials" });
  const status = h("p", { class: "hint", role: "status" });
  const chosen = new Map(); // situation code -> set of option codes
  const draw = () => {
    const needed = new Set();
    const open = new Set();
    for (const s of situations) {
      const picked = chosen.get(s.code);
      for (const o of s.options || []) {
        for (const c of o.material_codes || []) {
          if (!picked?.size) open.add(c);
          else if (picked.has(o.code)) needed.add(c);
        }
      }
    }
    const named = new Set(situations.flatMap((s) => (s.options || []).flatMap((o) => o.material_codes || [])));
    const shown = mats.filter((x) => x.necessity !== "conditional" || !named.has(x.code) || needed.has(x.code) || open.has(x.code));
    fill(list, shown.map(materialItem));
    status.textContent = chosen.size ? `根据您选择的情形，共需 ${shown.length} 项材料。` : `共 ${mats.length} 项材料。`;
  };
  const questions = situations.map((s) => {
    const name = `situation-${s.code}`;
    const group = h(
      "fieldset",
      { class: "field choice situation" },
      h("legend", {}, s.question),
      (s.options || []).map((o, i) => {
        const id = `${name}-${i}`;
        const names = (o.material_codes || []).map((c) => byCode.get(c)?.name || c);
        return h(
          "div",
          { class: "situation-option" },
          h("label", { class: "choice-item", for: id }, h("input", { type: s.multiple ? "checkbox" : "radio", id, name, value: o.code }), " ", o.label),
          h("p", { class: "hint" }, names.length ? `需另外提交：${names.join("、")}` : "无需另外提交材料"),
        );
      }),
    );
    group.addEventListener("change", () => {
      chosen.set(s.code, new Set([...group.querySelectorAll("input:checked")].map((x) => x.value)));
      if (!chosen.get(s.code).size) chosen.delete(s.code);
      draw();
    });
    return group;
  });
  draw();
  return section(
    "g-materials",
    "申请材料",
    situations.length ? h("div", { class: "situations" }, h("h3", {}, "选择您的情形"), h("p", { class: "hint" }, "回答以下问题，材料清单会只列出您需要提交的材料。"), questions) : null,
    mats.length ? [status, list] : h("p", {}, "无需提交申请材料。"),
  );
}

export function fees(m) {
  const f = m.fees || {};
  if (!f.charged) return section("g-fees", "收费标准", h("p", {}, "本事项不收费。"));
  return section(
    "g-fees",
    "收费标准",
    h(
      "ul",
      { class: "plain-list" },
      (f.items || []).map((i) =>
        h("li", {}, h("strong", {}, `${i.name}：${yuan(i.amount)}`), i.note ? `（${i.note}）` : "", i.basis ? h("p", { class: "hint" }, `收费依据：${i.basis}`) : null),
      ),
    ),
  );
}

export function process(m) {
  const steps = m.steps?.length
    ? m.steps
    : m.handling_type === "instant"
      ? [{ name: "受理并决定", role: "window_clerk" }]
      : [
          { name: "受理", role: "window_clerk" },
          { name: "审核", role: "reviewer" },
          { name: "决定", role: "approver" },
        ];
  return section(
    "g-process",
    "办理流程",
    m.guide?.process ? h("div", { class: "guide-text" }, paras(m.guide.process)) : null,
    h(
      "ol",
      { class: "steps" },
      steps.map((s) =>
        h(
          "li",
          {},
          h("strong", {}, s.name),
          ROLES[s.role] ? h("span", { class: "hint" }, `（${ROLES[s.role]}${s.time_limit_days ? `，${s.time_limit_days} 个工作日` : ""}）`) : null,
          s.description ? h("p", {}, s.description) : null,
        ),
      ),
    ),
  );
}

export function places(m) {
  const list = m.places || [];
  return section(
    "g-places",
    "办理地点和时间",
    list.length
      ? h("ul", { class: "cards places" }, list.map((p) => h("li", { class: "card" }, h("h3", {}, p.name), facts([["地址", p.address], ["窗口", p.window], ["办公时间", p.hours], ["电话", p.phone]]))))
      : h("p", {}, m.online_application ? "本事项可网上申报；线下办理请咨询实施部门。" : "请咨询实施部门。"),
  );
}

export function faqs(items, site) {
  return section(
    "g-faqs",
    "常见问题",
    items.length
      ? h("div", { class: "faqs" }, items.map((a) => h("details", { class: "faq" }, h("summary", {}, a.title), paras(a.body), h("p", {}, h("a", { href: articleHref(site, a.id) }, "查看详情")))))
      : h("p", { class: "empty" }, "暂无常见问题。"),
  );
}
