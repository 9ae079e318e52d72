// 信件查询: an anonymous letter read by its number and query password (the password goes in the
// body, never the address): the thread, the replies and the attachments to download.

import { download, post } from "../api.js";
import { button, facts, field, fill, h, message, onSubmit, time } from "../ui.js";
import { LETTER_ACTIONS, LETTER_KINDS, letterStateTag } from "./case_labels.js";

export async function render(view) {
  view.title("信件查询");
  const result = h("div", { class: "letter-result", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "form", novalidate: true },
    field({ name: "letter_number", label: "信件编号", required: true, value: view.query.get("number") || "", attrs: { autocomplete: "off" } }),
    field({ name: "query_password", label: "查询密码", type: "password", required: true, hint: "提交信件时显示的查询密码", attrs: { autocomplete: "off" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "查询")),
  );
  onSubmit(form, async (values) => {
    const creds = { letter_number: values.letter_number.trim(), query_password: values.query_password.trim() };
    const missing = {};
    if (!creds.letter_number) missing.letter_number = "请输入信件编号";
    if (!creds.query_password) missing.query_password = "请输入查询密码";
    if (Object.keys(missing).length) throw missing;
    fill(result);
    const letter = await post("/api/v1/letters/query", creds, { auth: false });
    fill(result, thread(letter, creds));
    result.querySelector("h2")?.focus();
  });
  view.main.append(
    h("h1", {}, "信件查询"),
    h("p", {}, "未登录提交的咨询、投诉或建议，凭信件编号和查询密码查看办理情况和答复。已登录提交的请到", h("a", { href: "/me/consultations" }, "我的咨询投诉"), "查看。"),
    form,
    result,
  );
}

function thread(letter, creds) {
  const status = h("div");
  const files = letter.attachments || [];
  return [
    h("h2", { tabindex: "-1" }, `${LETTER_KINDS[letter.kind] || "信件"}：${letter.title}`),
    facts([
      ["信件编号", letter.letter_number],
      ["状态", letterStateTag(letter.state)],
      ["来信人", letter.writer_name_masked],
      ["提交时间", time(letter.submitted_at)],
      ["答复期限", letter.due_date],
      ["答复时间", letter.replied_at ? time(letter.replied_at) : ""],
    ]),
    h(
      "ol",
      { class: "letter-thread" },
      (letter.messages || []).map((m) =>
        h(
          "li",
          { class: `letter-msg letter-${m.role === "writer" ? "writer" : "staff"}` },
          h("p", { class: "letter-meta" }, h("strong", {}, LETTER_ACTIONS[m.action] || m.action), "　", m.author_name || (m.role === "writer" ? "来信人" : ""), "　", time(m.created_at)),
          h("p", { class: "letter-content" }, m.content),
        ),
      ),
    ),
    files.length
      ? [
          h("h3", {}, "附件"),
          h(
            "ul",
            {},
            files.map((a) =>
              h(
                "li",
                {},
                button(`下载 ${a.file_name}`, async () => {
                  try {
                    await download(`/api/v1/letters/query/attachments/${encodeURIComponent(a.id)}`, a.file_name, { method: "POST", json: creds, auth: false });
                  } catch (error) {
                    fill(status, message(error.message, "error"));
                  }
                }),
              ),
            ),
          ),
        ]
      : null,
    status,
  ];
}
