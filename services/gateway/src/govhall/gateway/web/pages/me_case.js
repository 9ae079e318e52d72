// 办件详情: a case of mine — its basic information, the form as filled in, the materials (download),
// the flow (办理过程), the notices (文书: 下载 and 核验) and what I can do in its state: 补正,
// 撤回, 重置查询密码, 评价.

import { download, get } from "../api.js";
import { button, date, empty, facts, h, message, time } from "../ui.js";
import { mySpace } from "./layout.js";
import { caseStateTag, section, size, add } from "./case_labels.js";
import { actionsSection, evaluationSection, supplementSection } from "./case_actions.js";

const DELIVERY = { pick_up: "窗口领取", mail: "邮寄送达" };

export async function render(view) {
  const id = view.params.caseId;
  const c = await get(`/api/v1/cases/${encodeURIComponent(id)}`);
  const content = mySpace(view, "cases", c.matter_name || "办件详情");
  const reload = () => view.navigate(location.pathname + location.search, { replace: true });
  const notice = h("div", { class: "me-notice" });
  add(content, 
    h("p", {}, h("a", { href: `/me/cases?tab=${encodeURIComponent(c.tab || "in_progress")}` }, "返回我的办件")),
    notice,
    basics(c),
    c.state === "supplement_requested" ? supplementSection(c, reload) : null,
    actionsSection(c, reload, notice),
    await evaluationSection(c, reload),
    section("申请信息", formAnswers(c)),
    section("申请材料", materials(c)),
    section("办理过程", flow(c)),
    section("文书", documents(c)),
  );
}

function basics(c) {
  const clock = c.clock || {};
  const d = c.delivery || {};
  return section(
    "基本信息",
    facts([
      ["办理状态", caseStateTag(c.state, c.state_zh)],
      ["事项名称", c.matter_name],
      ["办件编号", c.case_number],
      ["申报号", c.application_number],
      ["办理部门", c.department_name],
      ["申请人", c.applicant?.name],
      ["提交时间", time(c.submitted_at)],
      ["受理时间", time(c.accepted_at)],
      ["办结时间", time(c.ended_at)],
      ["承诺办结日期", clock.promised_due && !clock.ended ? `${clock.promised_due}${clock.paused ? "（计时暂停）" : ""}` : ""],
      ["办理结果", c.result_zh],
      ["结果说明", c.result_reason],
      ["送达方式", DELIVERY[d.method] ? [DELIVERY[d.method], d.address_text ? `：${d.address_text}` : ""].join("") : ""],
      ["当前环节", (c.steps || []).find((s) => s.current)?.name],
    ]),
  );
}

/** The form as filled in, each answer under its title from the matter's schema. */
function formAnswers(c) {
  const rows = [];
  const walk = (schema, value, prefix) => {
    const props = schema?.properties || {};
    const keys = [...new Set([...Object.keys(props), ...Object.keys(value || {})])];
    for (const k of keys) {
      const v = value?.[k];
      if (v === undefined || v === null || v === "") continue;
      const title = props[k]?.title || k;
      const label = prefix ? `${prefix} · ${title}` : title;
      if (v && typeof v === "object" && !Array.isArray(v)) walk(props[k], v, label);
      else rows.push([label, Array.isArray(v) ? v.join("、") : typeof v === "boolean" ? (v ? "是" : "否") : String(v)]);
    }
  };
  walk(c.form_schema, c.form, "");
  return rows.length ? facts(rows) : empty("没有填写表单。");
}

function materials(c) {
  const list = c.materials || [];
  if (!list.length) return empty("该事项不需要提交材料。");
  return h(
    "ul",
    { class: "me-plain-list" },
    list.map((m) =>
      h(
        "li",
        { class: "me-material" },
        h("h3", {}, m.name, m.needed ? h("span", { class: "hint" }, "（必交）") : null),
        m.licence?.licence_id ? h("p", {}, `已用证照：${m.licence.type_name || ""}`) : null,
        (m.files || []).length
          ? h(
              "ul",
              { class: "me-files" },
              m.files.map((f) =>
                h(
                  "li",
                  {},
                  h("span", { class: "me-file-name" }, f.file_name),
                  h("span", { class: "hint" }, `${size(f.size)}，${time(f.uploaded_at)}`),
                  button("下载", () => download(`/api/v1/cases/${encodeURIComponent(c.id)}/files/${encodeURIComponent(f.id)}`, f.file_name), {
                    "aria-label": `下载 ${f.file_name}`,
                  }),
                ),
              ),
            )
          : h("p", { class: "hint" }, m.licence?.licence_id ? "" : "未上传文件"),
      ),
    ),
  );
}

const ROLES = { applicant: "申请人", window_clerk: "窗口受理", reviewer: "审核", approver: "审批", supervisor: "督办" };

/** Who did it: a person's name (the applicant, a staff member), else 系统 (a service). */
function who(f) {
  if (f.actor_kind === "applicant" || f.actor_kind === "staff") return f.actor_name || (f.actor_kind === "applicant" ? "申请人" : "");
  return f.actor_kind ? "系统" : f.actor_name;
}

function flowTitle(f) {
  const what = f.action_zh || f.action;
  return f.step_name && f.step_name !== what ? `${f.step_name} · ${what}` : what;
}

function flow(c) {
  const list = c.flow || [];
  if (!list.length) return empty("尚未提交，暂无办理过程。");
  return h(
    "ol",
    { class: "me-flow" },
    list.map((f) =>
      h(
        "li",
        {},
        h("p", { class: "me-flow-head" }, h("strong", {}, flowTitle(f))),
        h(
          "p",
          { class: "hint" },
          [who(f), ROLES[f.actor_role] || "", time(f.at)].filter(Boolean).join("　"),
        ),
        f.opinion ? h("p", {}, `意见：${f.opinion}`) : null,
      ),
    ),
  );
}

function documents(c) {
  const list = c.documents || [];
  if (!list.length) return empty("暂无文书。");
  return h(
    "ul",
    { class: "cards me-list" },
    list.map((d) => {
      const verify = `/verify/notice/${encodeURIComponent(d.id)}?code=${encodeURIComponent(d.verification_code || "")}`;
      const status = h("div", { "aria-live": "polite" });
      return h(
        "li",
        { class: "card" },
        h("h3", {}, d.title),
        h("p", { class: "hint" }, `出具时间：${date(d.issued_at)}${d.verification_code ? `　核验码：${d.verification_code}` : ""}`),
        h(
          "div",
          { class: "actions" },
          button(
            "下载",
            async () => {
              try {
                await download(`/api/v1/cases/${encodeURIComponent(c.id)}/documents/${encodeURIComponent(d.id)}`, `${d.title}.pdf`);
                status.replaceChildren(message(`已下载 ${d.title}.pdf`, "success"));
              } catch (error) {
                status.replaceChildren(message(error.message, "error"));
              }
            },
            { "aria-label": `下载${d.title}` },
          ),
          h("a", { href: verify, class: "btn btn-plain", "aria-label": `核验${d.title}` }, "核验"),
        ),
        status,
      );
    }),
  );
}
