// 在线申报 (填写申请): a draft's form, drawn from the matter's JSON Schema, and its materials; 保存
// keeps the draft, 提交申报 submits it and shows the 申报号 and 查询密码 once.

import { get, patch, post } from "../api.js";
import { clearErrors, facts, field, fill, h, message, showErrors } from "../ui.js";
import { NOTICE_KEY, stepsBar } from "./apply_common.js";
import { materialList } from "./materials.js";
import { hasFields, onFormSlots, schemaForm } from "./schema_form.js";

export async function render(view) {
  const id = view.params.caseId;
  let c = await get(`/api/v1/cases/${encodeURIComponent(id)}`);
  view.title(`填写申请：${c.matter_name}`);
  view.main.append(h("h1", {}, `填写申请：${c.matter_name}`));
  if (c.state !== "draft") {
    view.main.append(
      message(`该办件当前状态为“${c.state_zh}”，不能在此修改。`, "info"),
      h("p", {}, h("a", { href: `/me/cases/${encodeURIComponent(c.id)}`, class: "btn btn-primary" }, "查看办件详情")),
    );
    return;
  }
  let guide = null;
  try {
    guide = await get(`/api/v1/sites/${encodeURIComponent(c.site_code)}/matters/${encodeURIComponent(c.matter_code)}`, { version: c.matter_version });
  } catch {
    guide = null; // the materials are still listed from the case itself
  }
  const situations = guide?.situations || [];
  const chosen = new Set(c.situation_answers.flatMap((a) => a.option_codes.map((o) => `${a.situation_code}/${o}`)));
  const switchable = new Set(situations.flatMap((s) => s.options.flatMap((o) => o.form_sections || [])));
  const shown = new Set(situations.flatMap((s) => s.options.filter((o) => chosen.has(`${s.code}/${o.code}`)).flatMap((o) => o.form_sections || [])));
  const hidden = new Set([...switchable].filter((x) => !shown.has(x)));
  const schema = c.form_schema || {};
  const parts = schemaForm(schema, c.form, hidden, shown);
  const key = crypto.randomUUID(); // one submission per visit: a retry reuses it
  const status = h("div", { class: "save-status" });
  const materialsBox = h("div");
  const materialStatus = h("div", { class: "material-status" });
  const update = (next) => {
    c = next;
    fill(materialsBox, materialList(c, guide, update, materialStatus));
  };
  update(c);
  const answered = situations
    .map((s) => [s.question, s.options.filter((o) => chosen.has(`${s.code}/${o.code}`)).map((o) => o.label).join("、")])
    .filter(([, v]) => v);
  const form = h(
    "form",
    { class: "form apply-form", novalidate: true },
    answered.length ? h("section", { "aria-labelledby": "sec-situations" }, h("h2", { id: "sec-situations" }, "已选情形"), facts(answered)) : null,
    h(
      "section",
      { "aria-labelledby": "sec-form" },
      h("h2", { id: "sec-form" }, schema.title || "申请表"),
      hasFields(schema) ? [h("p", { class: "hint" }, "带 * 的为必填项。"), parts.nodes] : h("p", {}, "该事项无需填写申请表。"),
    ),
    h("section", { "aria-labelledby": "sec-materials" }, h("h2", { id: "sec-materials" }, "申请材料"), materialStatus, materialsBox),
    h(
      "section",
      { "aria-labelledby": "sec-notice" },
      h("h2", { id: "sec-notice" }, "申报须知"),
      h("div", { class: "notice-text", role: "region", "aria-label": "申报须知全文", tabindex: "0" }, (c.notice || "请如实填写申请信息、提交真实有效的申请材料。").split(/\n+/).map((p) => h("p", {}, p))),
      field({ name: "notice_read", label: "我已阅读并同意", type: "checkbox", required: true, value: sessionStorage.getItem(NOTICE_KEY + c.id) === "1" }),
    ),
    status,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "btn", onclick: () => save() }, "保存"),
      h("button", { type: "submit", class: "btn btn-primary" }, "提交申报"),
    ),
  );
  const busy = (on) => form.querySelectorAll(".actions button").forEach((b) => (b.disabled = on));
  const problem = (error) => {
    if (error?.fields?.length) error.fields = onFormSlots(form, error.fields);
    showErrors(form, error);
  };
  const saveForm = () => (hasFields(schema) ? patch(`/api/v1/cases/${encodeURIComponent(c.id)}`, { form: parts.collect(form) }) : null);
  const save = async () => {
    clearErrors(form);
    fill(status);
    busy(true);
    try {
      const saved = await saveForm();
      if (saved) c = saved;
      fill(status, message("草稿已保存，可稍后在“我的办件 › 待提交”中继续填写。", "success"));
    } catch (error) {
      problem(error);
    } finally {
      busy(false);
    }
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    fill(status);
    const notice = form.querySelector('[name="notice_read"]').checked;
    const problems = hasFields(schema) ? parts.check(form) : {};
    for (const m of c.materials || []) {
      if (m.needed && !(m.files || []).length && !m.licence?.licence_id) problems[`materials.${m.code}`] = "请上传此材料";
    }
    if (!notice) problems.notice_read = "请阅读并勾选“我已阅读并同意”";
    if (Object.keys(problems).length) {
      problem(problems);
      return;
    }
    busy(true);
    try {
      await saveForm();
      const done = await post(`/api/v1/cases/${encodeURIComponent(c.id)}/submit`, { notice_read: true }, { idempotencyKey: key });
      sessionStorage.removeItem(NOTICE_KEY + c.id);
      submitted(view, done);
    } catch (error) {
      problem(error);
      busy(false);
    }
  });
  view.main.append(stepsBar(situations.length ? ["选择情形", "阅读须知", "填写申请", "提交"] : ["阅读须知", "填写申请", "提交"], situations.length ? 2 : 1), form);
}

/** The submission's answer: the 申报号 and the 查询密码, shown this once. */
function submitted(view, c) {
  view.title("申报已提交");
  fill(
    view.main,
    h("h1", { tabindex: "-1" }, "申报已提交"),
    stepsBar(["阅读须知", "填写申请", "提交"], 2),
    message(`您的“${c.matter_name}”申请已提交，等待${c.department_name || "办理部门"}预审受理。`, "success"),
    h(
      "section",
      { class: "receipt", "aria-labelledby": "receipt-title" },
      h("h2", { id: "receipt-title" }, "请记下申报号和查询密码"),
      h(
        "dl",
        { class: "receipt-codes" },
        h("dt", {}, "申报号"),
        h("dd", { class: "code-value", "data-testid": "application-number" }, c.application_number),
        h("dt", {}, "查询密码"),
        h("dd", { class: "code-value", "data-testid": "query-password" }, c.query_password || "（未返回，请在办件详情中重置查询密码）"),
      ),
      h(
        "p",
        { class: "warning", role: "note" },
        h("strong", {}, "重要提示："),
        "查询密码只显示这一次，系统不保存明文。请立即抄写或截图保存。凭申报号（受理后也可用办件编号）和查询密码，无需登录即可在“办件查询”中查看办理进度。",
      ),
      h("div", { class: "actions" }, h("button", { type: "button", class: "btn", onclick: () => window.print() }, "打印本页")),
    ),
    h(
      "div",
      { class: "actions" },
      h("a", { href: `/me/cases/${encodeURIComponent(c.id)}`, class: "btn btn-primary" }, "在我的空间查看办件"),
      h("a", { href: `/query/case?number=${encodeURIComponent(c.application_number || "")}`, class: "btn" }, "办件查询"),
    ),
  );
  view.main.querySelector("h1").focus();
  window.scrollTo(0, 0);
}
