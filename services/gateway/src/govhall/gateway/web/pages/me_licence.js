// One of my licences: its details, file and verification; grants to the staff handling one of my
// cases (用证授权) and who read it; editing and deleting a licence of my own (level C).

import { del, download, get, patch, post } from "../api.js";
import { button, empty, facts, field, fill, h, link, message, onSubmit, table, time } from "../ui.js";
import { mySpace } from "./layout.js";
import { confirmAction, formDialog, reload, statusArea, tag, addTo } from "./me_common.js";
import { LEVELS, licenceFields, licenceType, licenceValues, stateTag } from "./me_licences_common.js";

const GRANT_STATES = { active: ["有效", "ok"], expired: ["已过期", "warn"], revoked: ["已撤销", "bad"] };
const ENDED_TABS = new Set(["done", "to_evaluate", "other"]);

export async function render(view) {
  const id = view.params.licenceId;
  const base = `/api/v1/me/licences/${encodeURIComponent(id)}`;
  const licence = await get(base);
  const content = mySpace(view, "licences", licence.type_name || "证照详情");
  let kind = null;
  try {
    kind = await licenceType(licence.type_code);
  } catch {
    kind = null;
  }
  const labels = Object.fromEntries((kind?.fields || []).map((f) => [f.key, f.label]));
  const status = statusArea();
  if (view.query.get("added")) status.append(message("证照已保存到您的证照库。", "success"));
  addTo(
    content,
    h("p", {}, link("/me/licences", "返回我的证照")),
    status,
    facts([
      ["证照名称", licence.type_name],
      ["级别", LEVELS[licence.level] || licence.level],
      ["状态", stateTag(licence.state)],
      ["证照编号", licence.number],
      ["电子证照标识", licence.identifier],
      ["持证人", licence.holder_name],
      ["证件号码", licence.holder_code_masked],
      ["发证机关", licence.issuer_name],
      ["发证日期", licence.issued_on],
      ["有效期至", licence.valid_until || "长期有效"],
      ...Object.entries(licence.metadata || {}).map(([k, v]) => [labels[k] || k, v]),
    ]),
    h(
      "div",
      { class: "actions" },
      licence.has_file
        ? button("下载证照文件", async () => {
            try {
              await download(`${base}/file`);
            } catch (error) {
              status.replaceChildren(message(error.message, "error"));
            }
          })
        : null,
      licence.verify_code ? h("a", { class: "btn", href: `/verify/licence?code=${encodeURIComponent(licence.verify_code)}` }, "核验证照") : null,
      licence.editable ? button("编辑证照", () => edit(view, base, licence, kind)) : null,
      licence.editable ? button("删除证照", () => remove(view, base, licence, status), { class: "btn btn-danger" }) : null,
    ),
    await grantsSection(view, base, licence, status),
    await accessesSection(base),
  );
}

function edit(view, base, licence, kind) {
  formDialog("编辑证照", licenceFields(kind, licence), "保存修改", async (values) => {
    const { details, metadata } = licenceValues(values);
    await patch(base, { revision: Number(licence.revision), ...details, metadata });
    reload(view);
  });
}

async function remove(view, base, licence, status) {
  if (!(await confirmAction("删除证照", `确定删除“${licence.type_name}（${licence.number}）”吗？删除后不能恢复。`, "确认删除"))) return;
  try {
    await del(base, { query: { revision: licence.revision } });
    view.navigate("/me/licences", { replace: true });
  } catch (error) {
    status.replaceChildren(message(error.message, "error"));
  }
}

async function grantsSection(view, base, licence, status) {
  const section = h("section", { class: "me-section", "aria-labelledby": "grants" }, h("h2", { id: "grants" }, "用证授权"));
  const grants = (await get(`${base}/grants`, { page_size: 50 })).items || [];
  const revoke = async (g, btn) => {
    btn.disabled = true;
    try {
      await del(`${base}/grants/${encodeURIComponent(g.id)}`);
      reload(view);
    } catch (error) {
      btn.disabled = false;
      status.replaceChildren(message(error.message, "error"));
    }
  };
  section.append(
    h("p", { class: "hint" }, "授权后，办理该办件的部门工作人员可在授权期内查看此证照，作为办件材料，无需再提交纸质材料。您可随时撤销授权。"),
    grants.length
      ? table(
          "授权记录",
          ["办件", "材料", "用途", "办理部门", "授权时间", "到期时间", "状态", "操作"],
          grants.map((g) => {
            const [label, kind] = GRANT_STATES[g.state] || [g.state, ""];
            const btn = g.state === "active" ? button("撤销授权", () => revoke(g, btn), { class: "btn btn-danger", "aria-label": `撤销授权 ${g.purpose}` }) : null;
            return [link(`/me/cases/${encodeURIComponent(g.case_id)}`, "查看办件"), g.material_code, g.purpose, g.department_code, time(g.created_at), time(g.expires_at), tag(label, kind), btn || "—"];
          }),
        )
      : empty("暂无授权记录。"),
  );
  if (licence.state === "valid") section.append(await grantForm(view, base, licence));
  return section;
}

/** 授权办件使用: one of my ongoing cases, its material that takes this licence, a purpose. */
async function grantForm(view, base, licence) {
  const wrap = h("div", {}, h("h3", {}, "授权给办件使用"));
  let cases = [];
  try {
    cases = ((await get("/api/v1/me/cases", { page_size: 100 })).cases || []).filter((c) => !ENDED_TABS.has(c.tab));
  } catch (error) {
    wrap.append(message(error.message, "error"));
    return wrap;
  }
  if (!cases.length) {
    wrap.append(empty("您没有正在办理的办件。申请需要此证照的事项后，可在这里授权办件使用。"));
    return wrap;
  }
  const caseField = field({
    name: "case_id",
    label: "选择办件",
    type: "select",
    required: true,
    options: [["", "请选择办件"], ...cases.map((c) => [c.id, `${c.matter_name}（${c.application_number || c.case_number || "未提交"}，${c.state_zh || ""}）`])],
  });
  const materialField = field({ name: "material_code", label: "作为哪项材料", type: "select", required: true, options: [["", "请先选择办件"]] });
  const materialSelect = materialField.querySelector("select");
  const note = h("div", {});
  caseField.querySelector("select").addEventListener("change", async (e) => {
    fill(note);
    fill(materialSelect, h("option", { value: "" }, "正在加载材料…"));
    const chosen = e.target.value;
    if (!chosen) return fill(materialSelect, h("option", { value: "" }, "请先选择办件"));
    try {
      const materials = await licenceMaterials(chosen, licence.type_code);
      fill(materialSelect, materials.length ? materials.map((m) => h("option", { value: m.code }, m.name)) : h("option", { value: "" }, "无可用材料"));
      if (!materials.length) fill(note, message("该办件没有可用此证照提交的材料。", "error"));
    } catch (error) {
      fill(materialSelect, h("option", { value: "" }, "无可用材料"));
      fill(note, message(error.message, "error"));
    }
  });
  const form = h(
    "form",
    { class: "form", novalidate: true },
    caseField,
    materialField,
    note,
    field({ name: "purpose", label: "用途", required: true, value: `${licence.type_name}用于办件材料`, attrs: { maxlength: 200 } }),
    field({ name: "expires_in_days", label: "授权天数", type: "number", value: "30", hint: "授权到期后自动失效", attrs: { min: 1, max: 365, inputmode: "numeric" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "确认授权")),
  );
  onSubmit(form, async (values) => {
    const problems = {};
    if (!values.case_id) problems.case_id = "请选择办件";
    if (!values.material_code) problems.material_code = "请选择材料";
    if (Object.keys(problems).length) throw problems;
    await post(`${base}/grants`, {
      case_id: values.case_id,
      material_code: values.material_code,
      purpose: values.purpose.trim(),
      expires_in_days: Number(values.expires_in_days) || 0,
    });
    reload(view);
  });
  wrap.append(form);
  return wrap;
}

/** The case's materials taken from a licence of this type (from its matter's guide). */
async function licenceMaterials(caseId, typeCode) {
  const c = await get(`/api/v1/cases/${encodeURIComponent(caseId)}`);
  const names = new Map((c.materials || []).map((m) => [m.code, m.name]));
  try {
    const guide = await get(`/api/v1/sites/${encodeURIComponent(c.site_code)}/matters/${encodeURIComponent(c.matter_code)}`);
    return (guide.materials || [])
      .filter((m) => m.licence_type_code === typeCode && names.has(m.code))
      .map((m) => ({ code: m.code, name: names.get(m.code) || m.name }));
  } catch {
    return [...names].map(([code, name]) => ({ code, name }));
  }
}

async function accessesSection(base) {
  const items = (await get(`${base}/accesses`, { page_size: 50 })).items || [];
  return h(
    "section",
    { class: "me-section", "aria-labelledby": "accesses" },
    h("h2", { id: "accesses" }, "查阅记录"),
    items.length
      ? table(
          "谁查阅了此证照",
          ["查阅人", "部门", "查阅内容", "办件", "时间"],
          items.map((a) => [a.reader_name, a.department_code, a.what === "file" ? "证照文件" : "证照信息", link(`/me/cases/${encodeURIComponent(a.case_id)}`, "查看办件"), time(a.at)]),
        )
      : empty("暂无查阅记录。"),
  );
}

