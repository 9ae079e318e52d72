// 找回密码: an SMS code to the registered mobile, then a new password; then on to sign in.

import { post } from "../api.js";
import { field, fill, h, message, onSubmit } from "../ui.js";
import { smsButton } from "./login.js";

export async function render(view) {
  view.title("找回密码");
  const done = h("div");
  const form = h(
    "form",
    { class: "form", novalidate: true },
    h("p", {}, "通过注册时绑定的手机号接收短信验证码，设置新的登录密码。"),
    field({ name: "mobile", label: "手机号", type: "tel", required: true, attrs: { autocomplete: "tel" } }),
    smsButton("reset_password"),
    field({ name: "sms_code", label: "短信验证码", required: true, attrs: { inputmode: "numeric", autocomplete: "one-time-code" } }),
    field({ name: "new_password", label: "新密码", type: "password", required: true, hint: "8 位以上，含大小写字母、数字或符号中的三类", attrs: { autocomplete: "new-password" } }),
    field({ name: "password_again", label: "确认新密码", type: "password", required: true, attrs: { autocomplete: "new-password" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "重置密码")),
  );
  onSubmit(form, async (values) => {
    const problems = {};
    if (!values.mobile.trim()) problems.mobile = "请输入手机号";
    if (!values.sms_code.trim()) problems.sms_code = "请输入短信验证码";
    if (!values.new_password) problems.new_password = "请设置新密码";
    else if (values.new_password !== values.password_again) problems.password_again = "两次输入的密码不一致";
    if (Object.keys(problems).length) throw problems;
    await post(
      "/api/v1/auth/password-reset",
      { mobile: values.mobile.trim(), sms_code: values.sms_code.trim(), new_password: values.new_password },
      { auth: false },
    );
    form.hidden = true;
    fill(done, message("密码已重置，请使用新密码登录。", "success"), h("p", {}, h("a", { href: "/login", class: "btn btn-primary" }, "去登录")));
  });
  view.main.append(h("h1", {}, "找回密码"), done, form, h("p", {}, "想起密码了？", h("a", { href: "/login" }, "返回登录")));
}
