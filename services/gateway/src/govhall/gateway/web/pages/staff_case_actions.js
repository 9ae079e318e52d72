// The actions on a case (POST /api/v1/staff/cases/{id}/actions/{action}): those its state and
// my roles allow, each a small form in a dialog; the API's Chinese errors land on the form.

import { post } from "../api.js";
import { button, field, h } from "../ui.js";
import { actionDialog, errorSlot, roles, SPECIAL_PROCEDURES } from "./staff_common.js";

const IN_REVIEW = new Set(["accepted", "under_review"]);
const OPEN = new Set(["submitted", "supplement_requested", "accepted", "under_review", "special_procedure"]);
const BOUND = new Set(["reviewer", "approver"]);
const TERMINATIONS = [
  ["2", "作废"],
  ["3", "删除"],
  ["5", "退件"],
];

// The API's field names (some dotted by the command) onto the forms' own.
const ALIASES = {
  "request_supplement.deadline": "deadline",
  "complete_step.outcome": "outcome",
  "conclude.decision": "decision",
  "start_special_procedure.planned": "days",
  planned: "days",
  "planned.value": "days",
  "start_special_procedure.procedure": "procedure",
};

const opinion = (label = "办理意见", required = false) => field({ name: "opinion", label, type: "textarea", required, attrs: { maxlength: 2000, rows: 3 } });
const reason = (label) => field({ name: "reason", label, type: "textarea", required: true, attrs: { maxlength: 2000, rows: 3 } });

function need(values, name, text) {
  if (!String(values[name] || "").trim()) throw { [name]: text };
}

/** Where the case stands for my roles: which actions apply, and why none may. */
function standing(c, who) {
  const mine = roles(who);
  const steps = c.steps || [];
  const at = steps.findIndex((s) => s.current);
  const step = steps[at];
  const reviewStart = steps[0]?.role === "window_clerk" && steps.length > 1 ? 1 : 0;
  const myStep = !!step && mine.has(step.role) && (!BOUND.has(step.role) || who.department_code === c.department_code);
  const list = [];
  if (c.state === "submitted" && mine.has("window_clerk")) list.push("accept", "not_accept", "request_supplement");
  if (IN_REVIEW.has(c.state) && myStep) {
    if (at < steps.length - 1) list.push("pass");
    if (at > reviewStart) list.push("return");
    if (at === steps.length - 1) list.push("conclude");
    list.push("request_supplement", "start_special_procedure");
  }
  if (c.state === "special_procedure" && myStep) list.push("end_special_procedure");
  if (OPEN.has(c.state) && mine.has("supervisor")) list.push("terminate");
  return { list, step, myStep };
}

export function actionsFor(c, who, after) {
  const { list, step } = standing(c, who);
  // The page is drawn again once the dialog has closed (focus then goes to the result).
  const act = (action, name) => async (values) => {
    const done = await post(`/api/v1/staff/cases/${encodeURIComponent(c.id)}/actions/${action}`, { expected_revision: c.revision, ...values });
    setTimeout(() => after(done, name));
    return done;
  };
  const open = {
    accept: () => actionDialog("受理", [opinion("受理意见")], "确认受理", (v) => act("accept", "受理")({ opinion: v.opinion })),
    not_accept: () =>
      actionDialog("不予受理", [reason("不予受理理由")], "确认不予受理", (v) => {
        need(v, "reason", "请填写不予受理理由");
        return act("not_accept", "不予受理")({ reason: v.reason });
      }, null, { danger: true }),
    request_supplement: () => supplementDialog(c, act("request_supplement", "补正告知")),
    pass: () => actionDialog(`审核通过：${step?.name || ""}`, [opinion("审核意见")], "确认通过", (v) => act("complete_step", "审核通过")({ outcome: "pass", opinion: v.opinion }), null, { aliases: ALIASES }),
    return: () =>
      actionDialog("退回上一环节", [opinion("退回理由", true)], "确认退回", (v) => {
        need(v, "opinion", "请填写退回理由");
        return act("complete_step", "退回")({ outcome: "return", opinion: v.opinion });
      }, null, { danger: true, aliases: ALIASES }),
    conclude: () =>
      actionDialog(
        "办结",
        [
          field({ name: "decision", label: "办结结论", type: "radio", required: true, value: "approved", options: [["approved", "准予许可"], ["denied", "不予许可"]] }),
          opinion("决定意见"),
        ],
        "确认办结",
        (v) => {
          if (v.decision === "denied") need(v, "opinion", "不予许可时请填写理由");
          return act("conclude", "办结")({ decision: v.decision, opinion: v.opinion });
        },
        null,
        { aliases: ALIASES },
      ),
    start_special_procedure: () =>
      actionDialog(
        "启动特别程序",
        [
          field({ name: "procedure", label: "特别程序类型", type: "select", required: true, options: [["", "请选择"], ...SPECIAL_PROCEDURES] }),
          reason("启动理由"),
          field({ name: "days", label: "时限（天）", type: "number", required: true, hint: "1 至 365 天；特别程序期间办结时限暂停计算", attrs: { min: 1, max: 365, inputmode: "numeric" } }),
          field({ name: "unit", label: "时限单位", type: "select", value: "working_day", options: [["working_day", "工作日"], ["natural_day", "自然日"]] }),
        ],
        "启动特别程序",
        (v) => {
          const errors = {};
          if (!v.procedure) errors.procedure = "请选择特别程序类型";
          if (!v.reason.trim()) errors.reason = "请填写启动理由";
          const days = Number(v.days);
          if (!Number.isInteger(days) || days < 1 || days > 365) errors.days = "时限应为1至365天的整数";
          if (Object.keys(errors).length) throw errors;
          return act("start_special_procedure", "启动特别程序")({ procedure: v.procedure, reason: v.reason, planned: { value: days, unit: v.unit } });
        },
        null,
        { aliases: ALIASES },
      ),
    end_special_procedure: () =>
      actionDialog("结束特别程序", [field({ name: "result", label: "特别程序结果", type: "textarea", required: true, attrs: { maxlength: 2000, rows: 3 } })], "结束特别程序", (v) => {
        need(v, "result", "请填写特别程序结果");
        return act("end_special_procedure", "结束特别程序")({ result: v.result });
      }),
    terminate: () =>
      actionDialog(
        "终止办件（异常办结）",
        [field({ name: "result_code", label: "办结结果", type: "select", required: true, options: [["", "请选择"], ...TERMINATIONS] }), reason("终止理由")],
        "确认终止",
        (v) => {
          const errors = {};
          if (!v.result_code) errors.result_code = "请选择办结结果";
          if (!v.reason.trim()) errors.reason = "请填写终止理由";
          if (Object.keys(errors).length) throw errors;
          return act("terminate", "终止")({ result_code: Number(v.result_code), reason: v.reason });
        },
        null,
        { danger: true },
      ),
  };
  const labels = {
    accept: "受理",
    not_accept: "不予受理",
    request_supplement: "补正告知",
    pass: "审核通过",
    return: "退回上一环节",
    conclude: "办结",
    start_special_procedure: "启动特别程序",
    end_special_procedure: "结束特别程序",
    terminate: "终止办件",
  };
  const danger = new Set(["not_accept", "return", "terminate"]);
  return h(
    "section",
    { "aria-labelledby": "case-actions", class: "staff-actions" },
    h("h2", { id: "case-actions" }, "办理操作"),
    list.length
      ? h(
          "div",
          { class: "actions" },
          list.map((a) => button(labels[a], open[a], { class: `btn ${a === list[0] ? "btn-primary" : danger.has(a) ? "btn-danger" : ""}`, "aria-haspopup": "dialog" })),
        )
      : h("p", {}, OPEN.has(c.state) ? `该办件当前处于“${c.state_zh}”${step ? `（${step.name}环节）` : ""}，不在您的岗位办理范围内。` : `该办件已${c.state_zh}，无需办理。`),
  );
}

function supplementDialog(c, send) {
  const props = c.form_schema?.properties || {};
  const items = [
    h(
      "fieldset",
      { class: "field choice" },
      h("legend", {}, "需补正的材料（逐项填写问题，无问题的留空）"),
      (c.materials || []).map((m) => field({ name: `m.${m.code}`, label: `${m.name}（${m.code}）存在的问题`, attrs: { maxlength: 2000 } })),
      errorSlot("items"),
    ),
    Object.keys(props).length
      ? h(
          "fieldset",
          { class: "field choice" },
          h("legend", {}, "需更正的申请表内容（无问题的留空）"),
          Object.entries(props).map(([k, p]) => field({ name: `f.${k}`, label: `${p.title || k}存在的问题`, attrs: { maxlength: 2000 } })),
        )
      : null,
    field({ name: "deadline", label: "补正期限", type: "date", hint: "留空为 5 个工作日后" }),
    opinion("告知说明"),
  ];
  return actionDialog(
    "补正告知（一次性告知）",
    items,
    "发送补正告知",
    (v) => {
      const list = [];
      for (const [name, value] of Object.entries(v)) {
        const problem = String(value || "").trim();
        if (!problem) continue;
        if (name.startsWith("m.")) list.push({ material: name.slice(2), problem });
        else if (name.startsWith("f.")) list.push({ field: name.slice(2), problem });
      }
      if (!list.length) throw { items: "请至少填写一项需要补正的材料或内容" };
      return send({ items: list, deadline: v.deadline || "", opinion: v.opinion });
    },
    null,
    { aliases: ALIASES, intro: "请一次性列明全部需要补正的材料和内容，申请人补正后重新提交。" },
  );
}
