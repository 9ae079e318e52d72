// 来信办理: a letter with its thread and attachments, and what its state allows: 签收, 回复 /
// 追答, 转办, 不予受理, 延期申请, and for supervisors the extension decision.

import { account, download, get, post } from "../api.js";
import { button, facts, field, fill, h, message, time } from "../ui.js";
import { LETTER_ACTIONS, LETTER_KINDS, LETTER_STATES } from "./case_labels.js";
import { workbench } from "./layout.js";
import { actionDialog, departmentName, departments, label, letterClock } from "./staff_common.js";

const REASONS = { efficiency: "效能", attitude: "态度", inaction: "不作为", misconduct: "乱作为", other: "其他" };
const RATINGS = { satisfied: "满意", basically: "基本满意", unsatisfied: "不满意" };
const ROLES = { writer: "来信人", staff: "工作人员", system: "系统记录" };
const OPEN = new Set(["pending", "processing", "followed_up"]);

export async function render(view) {
  const content = workbench(view, "letters", "来信办理");
  content.classList.add("staff");
  const id = view.params.letterId;
  const letter = await get(`/api/v1/consultations/${encodeURIComponent(id)}`);
  const status = h("div", { class: "staff-flash", "aria-live": "polite" });
  const body = h("div", {});
  content.append(h("p", {}, h("a", { href: "/staff/letters" }, "返回咨询投诉")), status, body);
  const draw = async (l, note) => {
    view.title(`来信办理 ${l.letter_number}`);
    fill(status, note || null);
    fill(body, await summary(l), actions(l, done), thread(l));
  };
  const done = (name) => (l) =>
    setTimeout(async () => {
      await draw(l, message(`${name}已完成，来信状态：${label(LETTER_STATES, l.state)}。`, "success"));
      const note = status.querySelector(".msg");
      note?.setAttribute("tabindex", "-1");
      note?.focus();
    });
  await draw(letter);
}

async function summary(l) {
  const department = (await departmentName(l.site_code, l.department_code)) || l.department_code;
  return h(
    "section",
    { class: "card", "aria-labelledby": "letter-title" },
    h("h2", { id: "letter-title" }, `${LETTER_KINDS[l.kind] || ""}：${l.title}`),
    facts([
      ["信件编号", l.letter_number],
      ["状态", h("strong", {}, label(LETTER_STATES, l.state))],
      ["承办部门", department],
      ["办理人", l.handler_name],
      ["办理期限", h("span", {}, l.due_date || "", " ", letterClock(l.warning_level))],
      ["延期", { requested: `已申请延期 ${l.extension_days} 个工作日，待审批`, approved: `已同意延期 ${l.extension_days} 个工作日`, refused: "延期申请未获同意" }[l.extension_state] || ""],
      ["投诉原因", l.reason ? REASONS[l.reason] || l.reason : ""],
      ["相关办件", l.case_number],
      ["来信人", l.anonymous ? `${l.writer_name_masked || "匿名"} ${l.writer_mobile_masked || ""}` : "实名用户"],
      ["同意公开", l.agrees_to_publish ? "是" : "否"],
      ["提交时间", time(l.submitted_at)],
      ["答复时间", time(l.replied_at)],
      ["评价", l.rating ? `${RATINGS[l.rating] || l.rating}${l.reopened ? "（已重新办理）" : ""}` : ""],
    ]),
  );
}

function thread(l) {
  const files = l.attachments || [];
  return h(
    "section",
    { "aria-labelledby": "letter-thread" },
    h("h2", { id: "letter-thread" }, "办理记录"),
    h(
      "ol",
      { class: "staff-thread" },
      (l.messages || []).map((m) =>
        h(
          "li",
          { class: `card staff-msg staff-msg-${m.role}` },
          h(
            "p",
            { class: "staff-msg-head" },
            h("strong", {}, LETTER_ACTIONS[m.action] || m.action),
            ` · ${ROLES[m.role] || m.role}${m.author_name ? ` ${m.author_name}` : ""} · ${time(m.created_at)}`,
            m.role === "staff" && m.action === "reply" ? ` · ${m.public ? "公开" : "私密"}` : "",
          ),
          h("p", { class: "staff-msg-text" }, m.content),
          files
            .filter((f) => f.seq === m.seq)
            .map((f) =>
              button(`下载附件 ${f.file_name}`, async (e) => {
                const b = e.currentTarget;
                b.disabled = true;
                try {
                  await download(`/api/v1/consultations/${encodeURIComponent(l.id)}/attachments/${encodeURIComponent(f.id)}`, f.file_name);
                } catch (error) {
                  b.after(message(error.message, "error"));
                } finally {
                  b.disabled = false;
                }
              }, { class: "btn btn-plain" }),
            ),
        ),
      ),
    ),
  );
}

function actions(l, done) {
  const path = `/api/v1/staff/consultations/${encodeURIComponent(l.id)}`;
  const supervisor = (account()?.roles || []).includes("supervisor");
  const text = (name, labelText, required = true, max = 500) => field({ name, label: labelText, type: "textarea", required, attrs: { maxlength: max, rows: 4 } });
  const need = (v, name, msg) => {
    if (!String(v[name] || "").trim()) throw { [name]: msg };
  };
  const list = [];
  if (l.state === "pending") {
    list.push(
      button("签收", async (e) => {
        const b = e.currentTarget;
        b.disabled = true;
        try {
          done("签收")(await post(`${path}/claim`, { revision: l.revision }));
        } catch (error) {
          b.disabled = false;
          b.closest("section").append(message(error.message, "error"));
        }
      }, { class: "btn btn-primary" }),
    );
  }
  if (l.state === "processing" || l.state === "followed_up") {
    const followUp = l.state === "followed_up";
    list.push(
      button(followUp ? "追答" : "回复", () =>
        actionDialog(
          followUp ? "追答" : "回复来信",
          [
            text("content", followUp ? "追答内容" : "答复内容", true, 2000),
            followUp
              ? null
              : field({ name: "public", label: "答复方式", type: "radio", required: true, value: "private", options: [["public", "公开（来信人同意时可在咨询公开栏目展示）"], ["private", "私密（仅来信人可见）"]] }),
          ],
          followUp ? "发送追答" : "发送答复",
          (v) => {
            need(v, "content", followUp ? "请填写追答内容" : "请填写答复内容");
            return post(`${path}/reply`, { revision: l.revision, content: v.content, public: v.public === "public" });
          },
          done(followUp ? "追答" : "回复"),
        ), { class: "btn btn-primary", "aria-haspopup": "dialog" }),
    );
  }
  if (l.state === "pending" || l.state === "processing") {
    list.push(
      button("转办", async () => {
        const others = (await departments(l.site_code)).filter(([code]) => code !== l.department_code);
        actionDialog(
          "转办至其他部门",
          [
            field({ name: "department_code", label: "转至部门", type: "select", required: true, options: [["", "请选择部门"], ...others, ["office", "本级政务服务办公室"]] }),
            text("reason", "转办理由"),
          ],
          "确认转办",
          (v) => {
            const errors = {};
            if (!v.department_code) errors.department_code = "请选择转至的部门";
            if (!v.reason.trim()) errors.reason = "请填写转办理由";
            if (Object.keys(errors).length) throw errors;
            return post(`${path}/reassign`, { revision: l.revision, department_code: v.department_code === "office" ? "" : v.department_code, reason: v.reason });
          },
          done("转办"),
        );
      }, { class: "btn", "aria-haspopup": "dialog" }),
      button("不予受理", () =>
        actionDialog("不予受理", [text("reason", "不予受理理由")], "确认不予受理", (v) => {
          need(v, "reason", "请填写不予受理理由");
          return post(`${path}/refuse`, { revision: l.revision, reason: v.reason });
        }, done("不予受理"), { danger: true }), { class: "btn btn-danger", "aria-haspopup": "dialog" }),
    );
  }
  if (OPEN.has(l.state) && !["requested", "approved"].includes(l.extension_state)) {
    list.push(
      button("延期申请", () =>
        actionDialog(
          "延期申请",
          [field({ name: "days", label: "延期工作日数", type: "number", required: true, hint: "1 至 30 个工作日，须在办理期限届满前申请", attrs: { min: 1, max: 30, inputmode: "numeric" } }), text("reason", "延期理由")],
          "提交延期申请",
          (v) => {
            const errors = {};
            const days = Number(v.days);
            if (!Number.isInteger(days) || days < 1 || days > 30) errors.days = "延期应为1至30个工作日";
            if (!v.reason.trim()) errors.reason = "请填写延期理由";
            if (Object.keys(errors).length) throw errors;
            return post(`${path}/extension`, { revision: l.revision, days, reason: v.reason });
          },
          done("延期申请"),
        ), { class: "btn", "aria-haspopup": "dialog" }),
    );
  }
  if (supervisor && l.extension_state === "requested") {
    list.push(
      button("延期审批", () =>
        actionDialog(
          "延期审批",
          [
            field({ name: "approve", label: "审批意见", type: "radio", required: true, value: "yes", options: [["yes", `同意延期 ${l.extension_days} 个工作日`], ["no", "不同意延期"]] }),
            text("reason", "理由（不同意时必填）", false),
          ],
          "提交审批",
          (v) => {
            if (v.approve === "no") need(v, "reason", "不同意延期时请填写理由");
            return post(`${path}/extension/decision`, { revision: l.revision, approve: v.approve === "yes", reason: v.reason });
          },
          done("延期审批"),
        ), { class: "btn btn-primary", "aria-haspopup": "dialog" }),
    );
  }
  return h(
    "section",
    { "aria-labelledby": "letter-actions", class: "staff-actions" },
    h("h2", { id: "letter-actions" }, "办理操作"),
    list.length ? h("div", { class: "actions" }, list) : h("p", {}, `该来信${label(LETTER_STATES, l.state)}，当前无需办理。`),
  );
}
