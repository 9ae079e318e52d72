// What an applicant can do with a case of theirs, by its state: 补正 (upload again, 补正提交),
// 撤回 (before acceptance), 重置查询密码 (shown once) and 评价 (好差评) with its rectification.

import { ApiError, get, post, upload } from "../api.js";
import { button, dialog, facts, field, h, message, onSubmit, time } from "../ui.js";
import { section } from "./case_labels.js";

const path = (c, rest = "") => `/api/v1/cases/${encodeURIComponent(c.id)}${rest}`;

/** 补正: the items the notice asks for, an upload per material asked, and 补正提交. */
export function supplementSection(c, reload) {
  const notice = c.supplement || {};
  const items = notice.items || [];
  const byCode = new Map((c.materials || []).map((m) => [m.code, m]));
  const asked = items.filter((i) => i.material);
  const form = h(
    "form",
    { class: "form", novalidate: true },
    field({ name: "note", label: "补正说明", type: "textarea", hint: "可选：说明您补正了哪些内容。", attrs: { maxlength: 2000, rows: 3 } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "补正提交")),
  );
  onSubmit(form, async (values) => {
    await post(path(c, "/resubmit"), { note: values.note || "" });
    reload();
  });
  return section(
    "补正材料",
    message(`办理部门要求您补正以下内容${notice.deadline ? `，请于 ${notice.deadline} 前补正提交` : ""}。`, "info"),
    h(
      "ul",
      { class: "me-plain-list" },
      items.map((i) => h("li", { class: "me-supplement-item" }, h("strong", {}, i.name || i.material || i.field), "：", i.problem, i.changed ? h("span", { class: "tag tag-ok" }, "已修改") : null)),
    ),
    asked.map((i) => uploader(c, byCode.get(i.material) || { code: i.material, name: i.name || i.material })),
    form,
  );
}

function uploader(c, m) {
  const status = h("div", { "aria-live": "polite" });
  const input = field({ name: `file-${m.code}`, label: `重新上传：${m.name}`, type: "file", hint: "PDF、JPG、PNG 或 OFD 文件", attrs: { accept: ".pdf,.jpg,.jpeg,.png,.ofd" } });
  const control = input.querySelector("input");
  const send = button(`上传${m.name}`, async () => {
    const file = control.files?.[0];
    if (!file) {
      status.replaceChildren(message("请先选择文件。", "error"));
      return;
    }
    send.disabled = true;
    try {
      await upload(path(c, `/materials/${encodeURIComponent(m.code)}`), file);
      status.replaceChildren(message(`已上传 ${file.name}`, "success"));
      control.value = "";
    } catch (error) {
      status.replaceChildren(message(error.message, "error"));
    } finally {
      send.disabled = false;
    }
  });
  return h("div", { class: "me-upload" }, input, send, status);
}

/** 撤回 (before acceptance) and 重置查询密码 (any submitted case): each confirmed in a dialog. */
export function actionsSection(c, reload, notice) {
  const canWithdraw = ["submitted", "supplement_requested"].includes(c.state) && !c.accepted_at;
  const canReset = c.state !== "draft" && (c.case_number || c.application_number);
  if (!canWithdraw && !canReset) return null;
  return h(
    "div",
    { class: "actions" },
    canReset ? button("重置查询密码", () => resetPassword(c, notice)) : null,
    canWithdraw ? button("撤回申请", () => withdraw(c, reload), { class: "btn btn-danger", "aria-haspopup": "dialog" }) : null,
  );
}

function withdraw(c, reload) {
  const form = h(
    "form",
    { class: "form", novalidate: true },
    h("p", {}, "撤回后，本次申请将结束办理，不能恢复。确定要撤回吗？"),
    field({ name: "reason", label: "撤回原因", type: "textarea", attrs: { maxlength: 2000, rows: 3 } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-danger" }, "确认撤回"), button("取消", () => d.close())),
  );
  const d = dialog("撤回申请", form);
  onSubmit(form, async (values) => {
    await post(path(c, "/withdraw"), { reason: values.reason || "" });
    d.close();
    reload();
  });
}

function resetPassword(c, notice) {
  const d = dialog(
    "重置查询密码",
    h("p", {}, "重置后原查询密码立即失效，新密码只显示一次，请妥善保存。"),
    h(
      "div",
      { class: "actions" },
      button(
        "确认重置",
        async () => {
          try {
            const reply = await post(path(c, "/query-password"), {});
            d.close();
            notice.replaceChildren(
              message(`新的查询密码：${reply.query_password}（仅显示这一次，请妥善保存；凭${c.case_number ? "办件编号" : "申报号"}和查询密码可在“办件查询”中查看进度）`, "success"),
            );
          } catch (error) {
            d.querySelector(".dialog-body").append(message(error.message, "error"));
          }
        },
        { class: "btn btn-primary" },
      ),
      button("取消", () => d.close()),
    ),
  );
}

const LEVELS = [
  [1, "非常满意"],
  [2, "满意"],
  [3, "基本满意"],
  [4, "不满意"],
  [5, "非常不满意"],
];
const INDICATORS = ["办事效率", "服务态度", "办事便利"];
const RECTIFICATION = { open: "整改中", rectified: "已整改", called_back: "已回访", appealed: "申诉处理中", voided: "评价已作废" };

/** 评价: my evaluation and its rectification, or the form when the case is concluded and unrated. */
export async function evaluationSection(c, reload) {
  if (!["concluded_approved", "concluded_denied", "evaluated"].includes(c.state)) return null;
  let mine = null;
  try {
    mine = await get(path(c, "/evaluation"));
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
  }
  if (mine?.evaluation) return shownEvaluation(mine);
  if (c.state === "evaluated") return null;
  const form = h(
    "form",
    { class: "form", novalidate: true },
    field({ name: "level", label: "总体评价", type: "radio", required: true, options: LEVELS.map(([v, t]) => [String(v), t]) }),
    h(
      "fieldset",
      { class: "field choice" },
      h("legend", {}, "分项评分（可选，5 分最高）"),
      INDICATORS.map((name) =>
        field({ name: `score:${name}`, label: name, type: "select", options: [["", "不评分"], ...[5, 4, 3, 2, 1].map((s) => [String(s), `${s} 分`])] }),
      ),
    ),
    field({ name: "text", label: "评价内容", type: "textarea", hint: "不超过 500 字；选择“不满意”时请说明原因，办理部门将整改并回访。", attrs: { maxlength: 500, rows: 3 } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "提交评价")),
  );
  onSubmit(form, async (values) => {
    if (!values.level) throw { level: "请选择总体评价" };
    const indicators = INDICATORS.filter((n) => values[`score:${n}`]).map((n) => ({ indicator: n, score: Number(values[`score:${n}`]) }));
    await post(path(c, "/evaluation"), { level: Number(values.level), indicators, text: values.text || "", channel: "pc" });
    reload();
  });
  return section("评价", h("p", {}, "您的办件已办结，欢迎对本次办理服务作出评价（一事一评）。"), form);
}

function shownEvaluation({ evaluation: e, rectification: r }) {
  return section(
    "我的评价",
    facts([
      ["总体评价", e.level_name],
      ["分项评分", (e.indicators || []).map((i) => `${i.indicator} ${i.score} 分`).join("，")],
      ["评价内容", e.text],
      ["评价时间", time(e.created_at)],
      ["评价状态", e.status === "voided" ? "已作废" : ""],
    ]),
    r?.state
      ? [
          h("h3", {}, "整改情况"),
          facts([
            ["整改进度", RECTIFICATION[r.state] || r.state],
            ["整改期限", r.due],
            ["整改内容", r.rectification],
            ["整改时间", time(r.rectified_at)],
            ["回访情况", r.callback],
            ["回访时间", time(r.called_back_at)],
            ["申诉结果", r.decision ? `${r.decision === "void" ? "评价作废" : "维持评价"}${r.decision_reason ? `：${r.decision_reason}` : ""}` : ""],
          ]),
        ]
      : null,
  );
}
