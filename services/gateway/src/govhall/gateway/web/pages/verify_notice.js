// 文书核验: where a notice's QR code leads (/verify/notice/{documentId}?code=…). The gateway says
// whether the notice with this verification code is genuine; without a code, a form asks for it.

import { get } from "../api.js";
import { date, facts, field, h, message, onSubmit } from "../ui.js";

export async function render(view) {
  view.title("文书核验");
  const id = view.params.documentId;
  const code = (view.query.get("code") || "").trim();
  view.main.append(h("h1", {}, "文书核验"));
  if (!code) {
    view.main.append(h("p", {}, "请输入文书二维码旁印制的核验码，核验该文书是否由政务服务机构出具、内容是否被篡改。"), codeForm(view, id, ""));
    return;
  }
  let result = null;
  try {
    result = await get(`/api/v1/cases/documents/${encodeURIComponent(id)}/verify`, { code }, { auth: false });
  } catch (error) {
    // An unknown document or a malformed code: not genuine as far as anyone can tell.
    if (![400, 404, 422].includes(error.status)) throw error;
  }
  if (result?.valid) {
    view.main.append(
      h(
        "section",
        { class: "verdict verdict-ok", "aria-labelledby": "verdict-title" },
        h("h2", { id: "verdict-title" }, h("span", { class: "verdict-mark", "aria-hidden": "true" }, "✓"), "文书核验通过"),
        h("p", { class: "verdict-text" }, "该文书真实有效：由政务服务机构出具，以下信息与出具时一致。"),
        facts([
          ["文书名称", result.title],
          ["办件编号", result.case_number],
          ["申报号", result.application_number],
          ["办理事项", result.matter_name],
          ["出具部门", result.department_name],
          ["出具日期", date(result.issued_at)],
          ["文件摘要（SHA-256）", h("code", { class: "hash" }, result.sha256)],
        ]),
        h("p", { class: "hint" }, "如需核对文件本身，可计算所持 PDF 文件的 SHA-256 摘要，与上方摘要比对。"),
      ),
    );
  } else {
    view.main.append(
      h(
        "section",
        { class: "verdict verdict-bad", "aria-labelledby": "verdict-title" },
        h("h2", { id: "verdict-title" }, h("span", { class: "verdict-mark", "aria-hidden": "true" }, "✗"), "核验未通过"),
        message("未能核验该文书：核验码不正确，或该文书不存在。请核对二维码旁的核验码后重新输入；如仍不通过，该文书可能不是政务服务机构出具的，请向出具部门核实。", "error"),
      ),
      h("h2", {}, "重新输入核验码"),
      codeForm(view, id, code),
    );
  }
}

function codeForm(view, id, code) {
  const form = h(
    "form",
    { class: "form", novalidate: true },
    field({ name: "code", label: "核验码", required: true, value: code, hint: "印在文书二维码旁，由字母和数字组成", attrs: { autocomplete: "off", maxlength: 16, autocapitalize: "characters" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "核验")),
  );
  return onSubmit(form, async (values) => {
    const value = values.code.trim().toUpperCase();
    if (!value) throw { code: "请输入核验码" };
    view.navigate(`/verify/notice/${encodeURIComponent(id)}?code=${encodeURIComponent(value)}`);
  });
}
