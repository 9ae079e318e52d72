// 咨询详情: one of my letters with its thread (来信、答复、追问、追答 …) and attachments; 追问 and
// rating once it is answered, attachments while it awaits an answer.

import { download, get, post, upload } from "../api.js";
import { button, facts, field, h, message, onSubmit, time } from "../ui.js";
import { mySpace } from "./layout.js";
import { LETTER_ACTIONS, LETTER_KINDS, LETTER_RATINGS, letterStateTag, section, size, add } from "./case_labels.js";

const ROLES = { writer: "我", staff: "办理部门", system: "系统" };
const REASONS = { efficiency: "效能问题", attitude: "服务态度", inaction: "不作为", misconduct: "乱作为", other: "其他" };

export async function render(view) {
  const id = view.params.letterId;
  const l = await get(`/api/v1/consultations/${encodeURIComponent(id)}`);
  const content = mySpace(view, "consultations", l.title || "咨询详情");
  const reload = () => view.navigate(location.pathname + location.search, { replace: true });
  const base = `/api/v1/consultations/${encodeURIComponent(l.id)}`;
  add(content, 
    h("p", {}, h("a", { href: "/me/consultations" }, "返回我的咨询投诉")),
    section(
      "基本信息",
      facts([
        ["办理状态", letterStateTag(l.state)],
        ["类型", LETTER_KINDS[l.kind] || l.kind],
        ["信件编号", l.letter_number],
        ["投诉原因", REASONS[l.reason] || ""],
        ["相关办件", l.case_number],
        ["提交时间", time(l.submitted_at)],
        ["办理期限", ["replied", "closed", "refused"].includes(l.state) ? "" : l.due_date],
        ["答复时间", time(l.replied_at)],
        ["办理人", l.handler_name],
        ["我的评价", LETTER_RATINGS[l.rating] || ""],
        ["同意公开", l.agrees_to_publish ? "是" : "否"],
      ]),
    ),
    section("办理过程", thread(l, base)),
    l.state === "replied" ? followUp(base, reload) : null,
    l.state === "replied" ? rating(l, base, reload) : null,
    ["pending", "processing", "followed_up"].includes(l.state) ? attach(base, reload) : null,
  );
}

function thread(l, base) {
  const files = l.attachments || [];
  return h(
    "ol",
    { class: "me-flow me-thread" },
    (l.messages || []).map((m) =>
      h(
        "li",
        { class: `me-thread-${m.role || "system"}` },
        h("p", { class: "me-flow-head" }, h("strong", {}, LETTER_ACTIONS[m.action] || m.action), "　", h("span", { class: "hint" }, [m.author_name || ROLES[m.role] || "", time(m.created_at)].filter(Boolean).join("　"))),
        m.content ? h("p", { class: "me-message-body" }, m.content) : null,
        attachmentsOf(files.filter((f) => f.seq === m.seq), base),
      ),
    ),
  );
}

function attachmentsOf(files, base) {
  if (!files.length) return null;
  return h(
    "ul",
    { class: "me-files" },
    files.map((f) =>
      h(
        "li",
        {},
        h("span", { class: "me-file-name" }, f.file_name),
        h("span", { class: "hint" }, size(f.size)),
        button("下载", () => download(`${base}/attachments/${encodeURIComponent(f.id)}`, f.file_name), { "aria-label": `下载 ${f.file_name}` }),
      ),
    ),
  );
}

function followUp(base, reload) {
  const form = h(
    "form",
    { class: "form", novalidate: true },
    field({ name: "content", label: "追问内容", type: "textarea", required: true, hint: "对答复仍有疑问时可以追问，办理部门将再次答复。", attrs: { maxlength: 2000, rows: 3 } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "提交追问")),
  );
  onSubmit(form, async (values) => {
    if (!values.content.trim()) throw { content: "请填写追问内容" };
    await post(`${base}/follow-ups`, { content: values.content.trim() });
    reload();
  });
  return section("追问", form);
}

function rating(l, base, reload) {
  const form = h(
    "form",
    { class: "form", novalidate: true },
    field({ name: "rating", label: "您对答复是否满意", type: "radio", required: true, value: l.rating || "", options: Object.entries(LETTER_RATINGS) }),
    l.reopened
      ? h("p", { class: "hint" }, "本信件已重新办理过一次，不能再次要求重新办理。")
      : field({ name: "reopen", label: "不满意，要求重新办理", type: "checkbox", hint: "仅在选择“不满意”时可选；答复后 10 日内可要求重新办理一次。不要求重新办理的，可继续追问。" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "提交评价")),
  );
  onSubmit(form, async (values) => {
    if (!values.rating) throw { rating: "请选择评价" };
    if (values.reopen && values.rating !== "unsatisfied") throw { reopen: "仅在不满意时可要求重新办理" };
    await post(`${base}/rating`, { rating: values.rating, reopen: !!values.reopen });
    reload();
  });
  return section("评价答复", form);
}

function attach(base, reload) {
  const status = h("div", { "aria-live": "polite" });
  const input = field({ name: "file", label: "选择附件", type: "file", hint: "PDF、JPG 或 PNG 文件，每条来信或追问最多 3 个。", attrs: { accept: ".pdf,.jpg,.jpeg,.png" } });
  const control = input.querySelector("input");
  const send = button("上传附件", async () => {
    const file = control.files?.[0];
    if (!file) {
      status.replaceChildren(message("请先选择文件。", "error"));
      return;
    }
    send.disabled = true;
    try {
      await upload(`${base}/attachments`, file);
      reload();
    } catch (error) {
      status.replaceChildren(message(error.message, "error"));
      send.disabled = false;
    }
  });
  return section("补充附件", input, h("div", { class: "actions" }, send), status);
}
