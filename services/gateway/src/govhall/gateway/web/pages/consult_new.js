// 我要咨询: write a consultation (咨询), complaint (投诉) or suggestion (建议) to a department of
// the site (or the matter's, from a guide's 我要咨询). Signed in, it is the account's; signed out,
// the writer gives a name, a mobile and an SMS code (purpose letter) and gets the letter number
// and the query password, shown this once. Up to three attachments after it is written.

import { get, post, session, upload } from "../api.js";
import { button, facts, field, fill, h, message, onSubmit } from "../ui.js";
import { LETTER_KINDS, letterStateTag } from "./case_labels.js";
import { COMPLAINT_REASONS } from "./halls_common.js";
import { smsButton } from "./login.js";

const KINDS = Object.entries(LETTER_KINDS);

export async function render(view) {
  const site = view.query.get("site") || view.site;
  const matterCode = view.query.get("matter") || "";
  const kind = KINDS.some(([k]) => k === view.query.get("kind")) ? view.query.get("kind") : "consultation";
  const signedIn = !!session();
  view.title("我要咨询");
  const [departments, matter] = await Promise.all([
    get(`/api/v1/sites/${encodeURIComponent(site)}/departments`, {}, { auth: false }).then((r) => r.items || []).catch(() => []),
    matterCode ? get(`/api/v1/sites/${encodeURIComponent(site)}/matters/${encodeURIComponent(matterCode)}`, {}, { auth: false }).catch(() => null) : null,
  ]);
  const reason = field({ name: "reason", label: "投诉原因", type: "select", options: [["", "请选择"], ...COMPLAINT_REASONS] });
  const caseNumber = field({ name: "case_number", label: "办件编号（选填）", hint: "投诉具体办件时填写" });
  const complaintOnly = h("div", { class: "complaint-only" }, reason, caseNumber);
  const kindField = field({ name: "kind", label: "类型", type: "radio", required: true, value: kind, options: KINDS });
  const showComplaint = () => {
    complaintOnly.hidden = kindField.querySelector("input:checked")?.value !== "complaint";
    complaintOnly.querySelectorAll("select, input").forEach((el) => (el.disabled = complaintOnly.hidden));
  };
  kindField.addEventListener("change", showComplaint);

  const form = h(
    "form",
    { class: "form", novalidate: true },
    kindField,
    field({
      name: "department_code",
      label: "受理部门",
      type: "select",
      value: matter?.department_code || "",
      options: [["", "政务服务管理办公室（默认）"], ...departments.map((d) => [d.code, d.name])],
    }),
    matter ? h("p", {}, `咨询事项：${matter.name}`) : null,
    complaintOnly,
    field({ name: "title", label: "标题", required: true, attrs: { maxlength: 50 } }),
    field({ name: "content", label: "内容", type: "textarea", required: true, hint: "不超过 2000 字", attrs: { maxlength: 2000, rows: 6 } }),
    field({ name: "agrees_to_publish", label: "同意公开（答复可在“咨询公开”中展示，不含姓名和号码）", type: "checkbox" }),
    signedIn
      ? null
      : h(
          "fieldset",
          { class: "field choice" },
          h("legend", {}, "来信人信息（未登录）"),
          field({ name: "writer_name", label: "姓名", required: true, attrs: { autocomplete: "name", maxlength: 30 } }),
          field({ name: "writer_mobile", label: "手机号", type: "tel", required: true, attrs: { autocomplete: "tel" } }),
          smsButton("letter"),
          field({ name: "sms_code", label: "短信验证码", required: true, attrs: { inputmode: "numeric", autocomplete: "one-time-code" } }),
          h("p", { class: "hint" }, "提交后将显示信件编号和查询密码，请妥善保存；也可以", h("a", { href: `/login?next=${encodeURIComponent(location.pathname + location.search)}` }, "登录"), "后提交。"),
        ),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "提交")),
  );
  // smsButton reads the form's `mobile`: the anonymous writer's is writer_mobile.
  const mobileInput = form.querySelector('[name="writer_mobile"]');
  if (mobileInput) {
    const mirror = h("input", { type: "hidden", name: "mobile" });
    mobileInput.addEventListener("input", () => (mirror.value = mobileInput.value));
    form.append(mirror);
  }
  showComplaint();

  const result = h("div", { class: "consult-result" });
  onSubmit(
    form,
    async (values) => {
      const body = { site_code: site, matter_code: matter ? matterCode : "", ...values };
      delete body.mobile;
      if (!body.reason) delete body.reason;
      const written = await post("/api/v1/consultations", body);
      form.hidden = true;
      fill(result, done(written, signedIn));
      result.querySelector("h2")?.focus();
    },
    { mobile: "writer_mobile" },
  );
  view.main.append(
    h("h1", {}, "我要咨询"),
    h("p", {}, "咨询、投诉或建议将转至相应部门办理，一般在 3 个工作日内答复。"),
    form,
    result,
    h("p", {}, "已有信件？", h("a", { href: "/query/letter" }, "查询信件答复"), "　", h("a", { href: "/qa" }, "咨询公开")),
  );
}

function done(written, signedIn) {
  const letter = written.letter;
  const attachBox = h("div");
  const shown = [
    h("h2", { tabindex: "-1" }, "提交成功"),
    message(`您的${LETTER_KINDS[letter.kind] || "信件"}已提交，答复期限：${letter.due_date}。`, "success"),
    facts([
      ["信件编号", h("strong", { class: "letter-number" }, letter.letter_number)],
      written.query_password ? ["查询密码", h("strong", { class: "query-password" }, written.query_password)] : null,
      ["标题", letter.title],
      ["状态", letterStateTag(letter.state)],
    ].filter(Boolean)),
    written.query_password
      ? message("查询密码仅显示这一次，请立即记录。凭信件编号和查询密码可在“信件查询”中查看答复。", "info")
      : null,
    attachBox,
    h(
      "p",
      {},
      signedIn
        ? h("a", { href: `/me/consultations/${encodeURIComponent(letter.id)}` }, "查看我的咨询")
        : h("a", { href: "/query/letter" }, "查询信件答复"),
    ),
  ];
  attachments(attachBox, letter, written.query_password, signedIn);
  return shown;
}

/** Up to three files (PDF, JPG or PNG) attached to the letter just written. */
function attachments(box, letter, password, signedIn) {
  let count = (letter.attachments || []).length;
  const list = h("ul", {}, (letter.attachments || []).map((a) => h("li", {}, a.file_name || a.name)));
  const status = h("div");
  const input = h("input", { type: "file", id: "letter-file", accept: ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png" });
  const send = button("上传附件", async () => {
    const file = input.files?.[0];
    if (!file) {
      fill(status, message("请先选择文件。", "error"));
      return;
    }
    send.disabled = true;
    try {
      const after = signedIn
        ? await upload(`/api/v1/consultations/${encodeURIComponent(letter.id)}/attachments`, file)
        : await upload("/api/v1/letters/query/attachments", file, { letter_number: letter.letter_number, query_password: password });
      count = (after.attachments || []).length || count + 1;
      fill(list, (after.attachments || []).map((a) => h("li", {}, a.file_name || a.name)));
      fill(status, message(`已上传：${file.name}`, "success"));
      input.value = "";
    } catch (error) {
      fill(status, message(error.message, "error"));
    } finally {
      send.disabled = count >= 3;
      input.disabled = count >= 3;
    }
  });
  fill(
    box,
    h("h3", {}, "附件（选填，最多 3 个）"),
    list,
    h("div", { class: "field" }, h("label", { for: "letter-file" }, "选择文件（PDF、JPG 或 PNG）"), input),
    h("div", { class: "actions" }, send),
    status,
  );
}
