// 我的证照: my licences by level (A issued by a case, B imported by an authority, C kept by me),
// each linking to its detail; and adding a licence of my own (level C) with its scan or photo.

import { account, get, upload } from "../api.js";
import { empty, field, fill, h, link, message, onSubmit, table, tabs } from "../ui.js";
import { mySpace } from "./layout.js";
import { pageLinks, pageOf, addTo } from "./me_common.js";
import { LEVELS, keepableTypes, licenceFields, licenceType, licenceValues, stateTag } from "./me_licences_common.js";

const PAGE_SIZE = 20;

export async function render(view) {
  const content = mySpace(view, "licences", "我的证照");
  const level = ["A", "B", "C"].includes(view.query.get("level")) ? view.query.get("level") : "";
  const page = pageOf(view);
  const body = await get("/api/v1/me/licences", { page, page_size: PAGE_SIZE, level });
  const items = body.items || [];
  addTo(
    content,
    tabs(
      "证照级别",
      [["/me/licences", "全部", ""], ...Object.entries(LEVELS).map(([k, v]) => [`/me/licences?level=${k}`, v, k])],
      level,
    ),
    items.length
      ? table(
          level ? `${LEVELS[level]}证照` : "我的全部证照",
          ["证照名称", "证照编号", "级别", "发证机关", "有效期至", "状态"],
          items.map((l) => [
            link(`/me/licences/${encodeURIComponent(l.id)}`, l.type_name || l.type_code),
            l.number,
            LEVELS[l.level] || l.level,
            l.issuer_name,
            l.valid_until || "长期",
            stateTag(l.state),
          ]),
        )
      : empty(level ? "该级别下暂无证照。" : "您的证照库暂无证照。办件办结后签发的电子证照会自动归集到这里。"),
    pageLinks(view, page, body.page?.total, PAGE_SIZE),
    await addSection(view),
  );
}

/** 添加自有证照: choose a type (its fields follow), fill the details, attach the scan. */
async function addSection(view) {
  const section = h("section", { class: "me-section", "aria-labelledby": "add-licence" }, h("h2", { id: "add-licence" }, "添加自有证照（C级）"));
  let kinds = [];
  try {
    kinds = await keepableTypes(account()?.kind);
  } catch (error) {
    section.append(message(error.message, "error"));
    return section;
  }
  if (!kinds.length) {
    section.append(empty("目前没有可自行留存的证照类型。"));
    return section;
  }
  const wanted = view.query.get("type");
  const typeField = field({
    name: "type_code",
    label: "证照类型",
    type: "select",
    required: true,
    value: kinds.some((k) => k.code === wanted) ? wanted : "",
    options: [["", "请选择证照类型"], ...kinds.map((k) => [k.code, k.name])],
  });
  const details = h("div", { class: "me-licence-fields" });
  const file = field({
    name: "file",
    label: "证照扫描件或照片",
    type: "file",
    required: true,
    hint: "PDF、JPG 或 PNG，不超过 10 MB",
    attrs: { accept: ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png" },
  });
  const form = h(
    "form",
    { class: "form", novalidate: true },
    h("p", { class: "hint" }, "C级证照由您本人上传留存，仅供您自己查看和授权使用，不具备签发证照的效力。"),
    typeField,
    details,
    file,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "保存证照")),
  );
  const select = typeField.querySelector("select");
  const showFields = async () => {
    if (!select.value) {
      fill(details);
      return;
    }
    try {
      fill(details, licenceFields(await licenceType(select.value)));
    } catch (error) {
      fill(details, message(error.message, "error"));
    }
  };
  select.addEventListener("change", showFields);
  await showFields();
  onSubmit(form, async (values) => {
    const problems = {};
    if (!values.type_code) problems.type_code = "请选择证照类型";
    const chosen = form.querySelector('input[type="file"]').files[0];
    if (!chosen) problems.file = "请选择证照文件";
    if (Object.keys(problems).length) throw problems;
    const { details: d, metadata } = licenceValues(values);
    const made = await upload("/api/v1/me/licences", chosen, {
      type_code: d.type_code,
      number: d.number || "",
      issued_on: d.issued_on || "",
      valid_until: d.valid_until || "",
      issuer_name: d.issuer_name || "",
      metadata: JSON.stringify(metadata),
    });
    view.navigate(`/me/licences/${encodeURIComponent(made.id)}?added=1`);
  });
  section.append(form);
  return section;
}
