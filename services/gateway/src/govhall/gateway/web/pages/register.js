// 个人注册: mobile, SMS code and a password; then signed in and on to 实名认证 in 我的空间.

import { post, saveSession } from "../api.js";
import { field, h, onSubmit } from "../ui.js";
import { safeNext, smsButton } from "./login.js";

export async function render(view) {
  view.title("个人注册");
  const next = safeNext(view.query.get("next"));
  const form = h(
    "form",
    { class: "form", novalidate: true },
    field({ name: "mobile", label: "手机号", type: "tel", required: true, attrs: { autocomplete: "tel" } }),
    smsButton("register"),
    field({ name: "sms_code", label: "短信验证码", required: true, attrs: { inputmode: "numeric", autocomplete: "one-time-code" } }),
    field({ name: "password", label: "设置密码", type: "password", required: true, hint: "8 位以上，含大小写字母、数字或符号中的三类", attrs: { autocomplete: "new-password" } }),
    field({ name: "password_again", label: "确认密码", type: "password", required: true, attrs: { autocomplete: "new-password" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "注册")),
  );
  onSubmit(form, async (values) => {
    if (values.password !== values.password_again) throw { password_again: "两次输入的密码不一致" };
    const { password_again: _, ...body } = values;
    await post("/api/v1/auth/register", body, { auth: false });
    saveSession(await post("/api/v1/auth/login", { method: "password", login_name: values.mobile, password: values.password }, { auth: false }));
    view.navigate(next || "/me/security?welcome=1", { replace: true });
  });
  view.main.append(h("h1", {}, "个人注册"), form, h("p", {}, "已有账号？", h("a", { href: "/login" }, "登录")));
}
