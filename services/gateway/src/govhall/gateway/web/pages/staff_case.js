// 办件办理: one case as the staff see it (the form, materials with downloads, granted licences,
// the process, the flow and the notices) and the actions its state and my roles allow.

import { download, get } from "../api.js";
import { button, dialog, empty, facts, failed, fill, h, message, table, time } from "../ui.js";
import { workbench } from "./layout.js";
import { actionsFor } from "./staff_case_actions.js";
import { ROLE_ZH, card, me } from "./staff_common.js";

const NECESSITY = { required: "必要", conditional: "容缺/情形必要", optional: "非必要" };

export async function render(view) {
  const content = workbench(view, "queue", "办件办理");
  content.classList.add("staff");
  const id = view.params.caseId;
  const [c, who] = await Promise.all([get(`/api/v1/cases/${encodeURIComponent(id)}`), me()]);
  view.title(`办件办理 ${c.case_number || c.application_number || ""}`);
  const status = h("div", { class: "staff-flash", "aria-live": "polite" });
  const body = h("div", {});
  content.append(h("p", {}, h("a", { href: "/staff/queue" }, "返回待办办件")), status, body);

  const draw = (current, note) => {
    fill(status, note || null);
    fill(body, summary(current), actionsFor(current, who, after(current)), form(current), materials(current), supplement(current), process(current), flow(current), documents(current));
  };
  // After an action: the new case, and a note of what it did and the notices it issued.
  const after = (before) => (done, actionName) => {
    const known = new Set((before.documents || []).map((d) => d.id));
    const issued = (done.documents || []).filter((d) => !known.has(d.id)).map((d) => d.title);
    const text = `${actionName}已完成，办件状态：${done.state_zh}。${issued.length ? `已生成：${issued.join("、")}。` : ""}`;
    draw(done, message(text, "success"));
    status.querySelector(".msg")?.setAttribute("tabindex", "-1");
    status.querySelector(".msg")?.focus();
  };
  draw(c);
}

function summary(c) {
  const current = (c.steps || []).find((s) => s.current);
  return h(
    "section",
    { class: "card", "aria-labelledby": "case-summary" },
    h("h2", { id: "case-summary" }, c.matter_name),
    facts([
      ["办件编号", c.case_number || "（受理后生成）"],
      ["申报号", c.application_number],
      ["办件状态", h("strong", {}, c.state_zh)],
      ["当前环节", current ? `${current.name}（${ROLE_ZH[current.role] || current.role}）` : ""],
      ["实施部门", c.department_name],
      ["申请人", `${c.applicant?.name || "—"}（${c.applicant?.kind === "legal_person" ? "法人" : "自然人"}）`],
      ["提交时间", time(c.submitted_at)],
      ["受理时间", time(c.accepted_at)],
      ["承诺办结日期", c.clock?.promised_due],
      ["法定办结日期", c.clock?.legal_due],
      ["已用 / 剩余工作日", c.clock?.limit_days ? `${c.clock.days_used} / ${c.clock.days_left}${c.clock.paused ? "（计时暂停）" : ""}` : ""],
      ["时限预警", c.clock?.limit_days ? card(c.clock.level) : ""],
      ["办理结果", c.result_zh ? `${c.result_zh}${c.result_reason ? `：${c.result_reason}` : ""}` : ""],
      ["结果送达", c.delivery?.method === "mail" ? `邮寄送达 ${c.delivery.recipient || ""} ${c.delivery.mobile_masked || ""} ${c.delivery.address_text || ""}` : c.delivery?.method === "pick_up" ? "窗口领取" : ""],
    ]),
  );
}

function answerText(value) {
  if (value === undefined || value === null || value === "") return "—";
  if (typeof value === "boolean") return value ? "是" : "否";
  if (Array.isArray(value)) return value.map(answerText).join("、");
  if (typeof value === "object") return Object.values(value).map(answerText).join("，");
  return String(value);
}

function form(c) {
  const props = c.form_schema?.properties || {};
  const answers = c.form || {};
  const keys = [...new Set([...Object.keys(props), ...Object.keys(answers)])];
  return h(
    "section",
    { "aria-labelledby": "case-form" },
    h("h2", { id: "case-form" }, c.form_schema?.title || "申请表"),
    keys.length ? facts(keys.map((k) => [props[k]?.title || k, answerText(answers[k])])) : empty("申请表无内容。"),
  );
}

function materials(c) {
  const rows = (c.materials || []).map((m) => [
    h("span", {}, m.name, h("span", { class: "hint staff-sub" }, m.code)),
    `${NECESSITY[m.necessity] || m.necessity || ""}${m.needed ? "" : "（本次无需）"}`,
    (m.files || []).length
      ? h(
          "ul",
          { class: "staff-files" },
          m.files.map((f) =>
            h(
              "li",
              {},
              button(`下载 ${f.file_name}`, (e) => save(e.currentTarget, `/api/v1/cases/${c.id}/files/${f.id}`, f.file_name), { class: "btn btn-plain" }),
              h("span", { class: "hint" }, ` ${Math.max(1, Math.round((f.size || 0) / 1024))} KB，${time(f.uploaded_at)}`),
            ),
          ),
        )
      : m.licence?.licence_id
        ? null
        : "未提交",
    m.licence?.licence_id
      ? button(`查看证照 ${m.licence.type_name || ""}`, () => showLicence(c, m.licence), { class: "btn btn-plain" })
      : "—",
  ]);
  return h(
    "section",
    { "aria-labelledby": "case-materials" },
    h("h2", { id: "case-materials" }, "申请材料"),
    rows.length ? table("申请材料及附件", ["材料", "必要性", "文件", "用证授权"], rows) : empty("该事项无申请材料。"),
  );
}

async function save(btn, path, name) {
  btn.disabled = true;
  try {
    await download(path, name);
  } catch (error) {
    btn.after(message(error.message, "error"));
  } finally {
    btn.disabled = false;
  }
}

async function showLicence(c, lic) {
  const box = h("div", {}, h("p", { class: "loading" }, "正在读取证照…"));
  dialog(`授权证照：${lic.type_name || ""}`, box);
  try {
    const l = await get(`/api/v1/staff/cases/${encodeURIComponent(c.id)}/licences/${encodeURIComponent(lic.licence_id)}`);
    fill(
      box,
      facts([
        ["证照类型", l.type_name],
        ["证照编号", l.number],
        ["证照标识", l.identifier],
        ["持证主体", l.holder_name],
        ["持证主体代码", l.holder_code_masked],
        ["颁发机构", l.issuer_name],
        ["颁发日期", l.issued_on],
        ["有效期至", l.valid_until || "长期"],
        ["状态", { valid: "有效", suspended: "暂停", revoked: "已注销" }[l.state] || l.state],
        ...Object.entries(l.metadata || {}).map(([k, v]) => [k, v]),
      ]),
      l.has_file
        ? button("下载证照文件", (e) => save(e.currentTarget, `/api/v1/staff/cases/${c.id}/licences/${l.id}/file`, ""), { class: "btn" })
        : null,
      h("p", { class: "hint" }, `授权时间：${time(lic.granted_at)}。本次查阅已记录。`),
    );
  } catch (error) {
    failed(box, error);
  }
}

function supplement(c) {
  const s = c.supplement;
  if (!s?.items?.length) return null;
  return h(
    "section",
    { "aria-labelledby": "case-supplement" },
    h("h2", { id: "case-supplement" }, "补正告知"),
    facts([
      ["告知时间", time(s.requested_at)],
      ["补正期限", s.deadline],
    ]),
    table(
      "需补正的内容",
      ["材料或字段", "问题", "申请人是否已修改"],
      s.items.map((i) => [i.name || i.material || i.field, i.problem, i.changed ? "已修改" : "未修改"]),
    ),
  );
}

function process(c) {
  const steps = c.steps || [];
  if (!steps.length) return null;
  return h(
    "section",
    { "aria-labelledby": "case-steps" },
    h("h2", { id: "case-steps" }, "办理环节"),
    h(
      "ol",
      { class: "staff-steps" },
      steps.map((s) =>
        h("li", { class: s.current ? "staff-step-current" : "", "aria-current": s.current ? "step" : null }, `${s.name}（${ROLE_ZH[s.role] || s.role}）`, s.current ? h("strong", {}, " 当前环节") : null),
      ),
    ),
  );
}

function flow(c) {
  const rows = (c.flow || []).map((f) => [
    time(f.at),
    f.action_zh || f.action,
    f.step_name || "—",
    f.actor_kind === "applicant" ? "申请人" : `${f.actor_name || ""}${f.actor_role ? `（${ROLE_ZH[f.actor_role] || f.actor_role}）` : ""}`,
    [f.outcome === "return" ? "退回。" : "", f.opinion].join("") || "—",
  ]);
  return h(
    "section",
    { "aria-labelledby": "case-flow" },
    h("h2", { id: "case-flow" }, "办理过程"),
    rows.length ? table("办理过程记录", ["时间", "操作", "环节", "办理人", "意见"], rows) : empty("暂无记录。"),
  );
}

function documents(c) {
  const docs = c.documents || [];
  return h(
    "section",
    { "aria-labelledby": "case-docs" },
    h("h2", { id: "case-docs" }, "文书"),
    docs.length
      ? table(
          "已生成的文书",
          ["文书", "生成时间", "核验码", "下载"],
          docs.map((d) => [
            d.title,
            time(d.issued_at),
            d.verification_code,
            button(`下载${d.title}`, (e) => save(e.currentTarget, `/api/v1/cases/${c.id}/documents/${d.id}`, `${d.title}.pdf`), { class: "btn btn-plain" }),
          ]),
        )
      : empty("暂无文书。"),
  );
}
