// 登录: a person or enterprise by password or SMS code, staff by username; then back where the
// visitor was going (?next=), or to 我的空间 / the workbench.

import { post, saveSession } from "../api.js";
import { field, h, message, onSubmit, tabs } from "../ui.js";

// Why the visitor was sent here (?notice=), e.g. after changing the password ended every session.
const NOTICES = { password_changed: "密码已修改，所有登录均已退出，请使用新密码重新登录。" };

const METHODS = [
  ["password", "账号密码登录"],
  ["sms", "短信验证码登录"],
  ["legal_person", "法人登录"],
  ["staff", "工作人员登录"],
];

export async function render(view) {
  const method = METHODS.some(([m]) => m === view.query.get("method")) ? view.query.get("method") : "password";
  const next = safeNext(view.query.get("next"));
  view.title("登录");
  const keep = next ? `&next=${encodeURIComponent(next)}` : "";
  const fields = {
    password: [
      field({ name: "login_name", label: "手机号、身份证号或用户名", required: true, attrs: { autocomplete: "username" } }),
      field({ name: "password", label: "密码", type: "password", required: true, attrs: { autocomplete: "current-password" } }),
    ],
    sms: [
      field({ name: "mobile", label: "手机号", type: "tel", required: true, attrs: { autocomplete: "tel" } }),
      smsButton("login"),
      field({ name: "sms_code", label: "短信验证码", required: true, attrs: { inputmode: "numeric", autocomplete: "one-time-code" } }),
    ],
    legal_person: [
      field({ name: "credit_code", label: "统一社会信用代码", required: true }),
      field({ name: "password", label: "密码", type: "password", required: true, attrs: { autocomplete: "current-password" } }),
    ],
    staff: [
      field({ name: "username", label: "工作人员用户名", required: true, attrs: { autocomplete: "username" } }),
      field({ name: "password", label: "密码", type: "password", required: true, attrs: { autocomplete: "current-password" } }),
    ],
  }[method];
  const form = h("form", { class: "form", novalidate: true }, fields, h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "登录")));
  onSubmit(form, async (values) => {
    const tokens = await post("/api/v1/auth/login", { method, ...values }, { auth: false });
    saveSession(tokens);
    view.navigate(next || (tokens.account?.kind === "staff" ? "/staff" : "/me"), { replace: true });
  });
  view.main.append(
    h("h1", {}, "登录"),
    NOTICES[view.query.get("notice")] ? message(NOTICES[view.query.get("notice")], "success") : null,
    tabs("登录方式", METHODS.map(([m, text]) => [`/login?method=${m}${keep}`, text, m]), method),
    form,
    h("p", {}, "还没有账号？", h("a", { href: `/register${next ? `?next=${encodeURIComponent(next)}` : ""}` }, "立即注册"), "　", h("a", { href: "/forgot" }, "忘记密码")),
  );
}

/** Only a path of this portal (never another origin) may be where a sign-in returns to. */
export function safeNext(next) {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "";
}

/** A button that sends an SMS code of `purpose` to the form's `mobile`, with its result read out. */
export function smsButton(purpose) {
  const status = h("p", { class: "hint", role: "status" });
  const btn = h("button", { type: "button", class: "btn" }, "获取验证码");
  btn.addEventListener("click", async () => {
    const form = btn.closest("form");
    const mobile = form.querySelector('[name="mobile"]')?.value.trim();
    btn.disabled = true;
    try {
      // Codes to the signed-in account's own number (or binding a new one) go with the token.
      const own = ["change_password", "change_mobile", "bind_mobile"].includes(purpose);
      const sent = await post("/api/v1/auth/sms-codes", { mobile, purpose }, { auth: own });
      status.textContent = `验证码已发送至 ${sent.mobile_masked}，${Math.round(sent.expires_in_seconds / 60)} 分钟内有效。`;
      const local = ["127.0.0.1", "localhost"].includes(location.hostname);
      if (local) status.textContent += "（本地开发环境：短信写入 var/dev-sms.jsonl）";
      setTimeout(() => (btn.disabled = false), (sent.resend_after_seconds || 60) * 1000);
    } catch (error) {
      btn.disabled = false;
      const bad = error.fields?.find((f) => f.field === "mobile");
      status.textContent = bad?.message_zh || error.message;
    }
  });
  return h("div", { class: "field" }, btn, status);
}
