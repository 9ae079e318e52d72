// 电子证照核验: where a licence's QR code leads (/verify/licence?code=…): valid, revoked,
// suspended or expired, with the holder masked; without a code, a form asks for it.

import { get } from "../api.js";
import { facts, field, h, message, onSubmit } from "../ui.js";

const STATUS = {
  valid: ["证照有效", "该电子证照真实有效。", "ok", "✓"],
  revoked: ["证照已注销", "该电子证照真实存在，但已被发证机关注销，不再有效。", "bad", "✗"],
  suspended: ["证照已暂停", "该电子证照真实存在，但已被发证机关暂停使用，当前不能作为有效证照。", "warn", "!"],
  expired: ["证照已过期", "该电子证照真实存在，但已超过有效期，不再有效。", "warn", "!"],
};

export async function render(view) {
  view.title("电子证照核验");
  const code = (view.query.get("code") || "").trim();
  view.main.append(h("h1", {}, "电子证照核验"));
  if (!code) {
    view.main.append(h("p", {}, "请输入电子证照上二维码旁的核验码，核验证照是否真实、当前是否有效。"), codeForm(view, ""));
    return;
  }
  let result;
  try {
    result = await get("/api/v1/licences/verify", { code }, { auth: false });
  } catch (error) {
    if (![400, 404, 422].includes(error.status)) throw error;
    view.main.append(
      h(
        "section",
        { class: "verdict verdict-bad", "aria-labelledby": "verdict-title" },
        h("h2", { id: "verdict-title" }, h("span", { class: "verdict-mark", "aria-hidden": "true" }, "✗"), "核验未通过"),
        message("未找到与该核验码对应的电子证照。请核对核验码后重新输入；如仍不通过，该证照可能不是本平台签发或登记的，请向发证机关核实。", "error"),
      ),
      h("h2", {}, "重新输入核验码"),
      codeForm(view, code),
    );
    return;
  }
  const [title, text, kind, mark] = STATUS[result.status] || ["核验结果", `证照状态：${result.status}`, "warn", "!"];
  view.main.append(
    h(
      "section",
      { class: `verdict verdict-${kind}`, "aria-labelledby": "verdict-title" },
      h("h2", { id: "verdict-title" }, h("span", { class: "verdict-mark", "aria-hidden": "true" }, mark), title),
      h("p", { class: "verdict-text" }, text),
      facts([
        ["证照名称", result.type_name],
        ["证照编号", result.number],
        ["证照标识", result.identifier],
        ["持证主体", result.holder_name],
        ["持证主体代码", result.holder_code],
        ["发证机关", result.issuer_name],
        ["发证日期", result.issued_on],
        ["有效期至", result.valid_until || "长期"],
      ]),
      h("p", { class: "hint" }, "为保护个人信息，持证主体名称和证件号码已部分隐藏。"),
    ),
  );
}

function codeForm(view, code) {
  const form = h(
    "form",
    { class: "form", novalidate: true },
    field({ name: "code", label: "核验码", required: true, value: code, hint: "印在电子证照二维码旁", attrs: { autocomplete: "off", maxlength: 64 } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "核验")),
  );
  return onSubmit(form, async (values) => {
    const value = values.code.trim();
    if (!value) throw { code: "请输入核验码" };
    view.navigate(`/verify/licence?code=${encodeURIComponent(value)}`);
  });
}
