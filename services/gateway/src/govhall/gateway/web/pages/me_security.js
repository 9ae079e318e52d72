// 账号安全: my account (numbers masked), 实名认证 while unverified, 修改密码 (every session ends:
// sign in again), 更换手机号 and 设置用户名. ?welcome=1 greets a newly registered person.

import { clearSession, get, post, put, renewTokens, saveSession, session } from "../api.js";
import { facts, field, h, message, onSubmit, time } from "../ui.js";
import { mySpace } from "./layout.js";
import { smsButton } from "./login.js";
import { tag, addTo } from "./me_common.js";

const FLASH = "govhall.security.flash";
const KINDS = { person: "个人", legal_person: "法人", staff: "工作人员" };
const LEVELS = { unverified: ["未实名", "warn"], real_name: ["已实名", "ok"], high: ["高级实名", "ok"] };
const PASSWORD_HINT = "至少8位，含字母、数字、符号中的两种";

export async function render(view) {
  const content = mySpace(view, "security", "账号安全");
  const me = await get("/api/v1/me");
  const unverified = me.real_name_level === "unverified";
  const flash = sessionStorage.getItem(FLASH);
  if (flash) sessionStorage.removeItem(FLASH);
  const [levelText, levelKind] = LEVELS[me.real_name_level] || [me.real_name_level, ""];
  addTo(
    content,
    view.query.get("welcome") === "1"
      ? message(
          unverified ? "注册成功，欢迎使用政务服务网！建议您先完成实名认证，实名后即可在线申办事项、预约和查看证照。" : "注册成功，欢迎使用政务服务网！",
          "success",
        )
      : null,
    flash ? message(flash, "success") : null,
    h("section", { class: "me-section", "aria-labelledby": "account-title" }, h("h2", { id: "account-title" }, "账号信息"),
      facts([
        ["账号类型", KINDS[me.kind] || me.kind],
        ["用户名", me.username || "未设置"],
        ["姓名", me.name || "未实名"],
        ["身份证号", me.id_number_masked],
        ["手机号", me.mobile_masked],
        ["实名等级", tag(levelText, levelKind)],
        ["注册时间", time(me.created_at)],
      ]),
    ),
    me.kind === "person" && unverified ? realName(view) : null,
    me.kind === "person" ? password(view) : null,
    me.kind === "person" ? mobile(view) : null,
    me.kind === "person" ? username(view, me) : null,
  );
}

function section(id, title, ...children) {
  return h("section", { class: "me-section", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

function submit(label) {
  return h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, label));
}

/** Keep the session's account in step with the answer (the header shows the name). */
function remember(account) {
  const s = session();
  if (s) saveSession({ ...s, account });
}

function done(view, text) {
  sessionStorage.setItem(FLASH, text);
  view.navigate("/me/security", { replace: true });
}

function realName(view) {
  const form = h(
    "form",
    { class: "form", novalidate: true },
    h("p", {}, "请填写与居民身份证一致的姓名和号码。实名认证后才能在线申办事项。"),
    field({ name: "name", label: "姓名", required: true, attrs: { autocomplete: "name", maxlength: 30 } }),
    field({
      name: "id_number",
      label: "居民身份证号码",
      required: true,
      hint: "18位，末位可能为 X",
      attrs: { type: "text", inputmode: "text", autocomplete: "off", autocapitalize: "characters", spellcheck: "false", maxlength: 18 },
    }),
    submit("提交实名认证"),
  );
  onSubmit(form, async (v) => {
    const idNumber = v.id_number.replace(/\s+/g, "").toUpperCase();
    const problems = {};
    if (!v.name.trim()) problems.name = "请填写姓名";
    if (!/^\d{17}[\dX]$/.test(idNumber)) problems.id_number = "请填写18位居民身份证号码";
    if (Object.keys(problems).length) throw problems;
    const account = await post("/api/v1/me/real-name", { name: v.name.trim(), id_number: idNumber });
    form.reset();
    remember(account);
    // The signed-in token still carries no name: new tokens carry the verified one.
    await renewTokens();
    done(view, `实名认证成功：${account.name}（${account.id_number_masked}）。`);
  });
  return section("real-name-title", "实名认证", form);
}

function password(view) {
  const form = h(
    "form",
    { class: "form", novalidate: true },
    field({ name: "old_password", label: "当前密码", type: "password", required: true, attrs: { autocomplete: "current-password" } }),
    field({ name: "new_password", label: "新密码", type: "password", required: true, hint: PASSWORD_HINT, attrs: { autocomplete: "new-password" } }),
    field({ name: "confirm_password", label: "确认新密码", type: "password", required: true, attrs: { autocomplete: "new-password" } }),
    h("p", { class: "hint" }, "验证码将发送到您当前绑定的手机号。"),
    smsButton("change_password"),
    field({ name: "sms_code", label: "短信验证码", required: true, attrs: { inputmode: "numeric", autocomplete: "one-time-code", maxlength: 10 } }),
    submit("确认修改密码"),
  );
  onSubmit(form, async (v) => {
    if (v.new_password !== v.confirm_password) throw { confirm_password: "两次输入的新密码不一致" };
    await post("/api/v1/me/password", { old_password: v.old_password, new_password: v.new_password, sms_code: v.sms_code.trim() });
    // Every session of the account has ended: sign in again with the new password.
    clearSession();
    view.navigate("/login?notice=password_changed", { replace: true });
  });
  return section("password-title", "修改密码", h("p", {}, "修改成功后，所有设备上的登录都会退出，需要使用新密码重新登录。"), form);
}

function mobile(view) {
  const form = h(
    "form",
    { class: "form", novalidate: true },
    field({ name: "password", label: "登录密码", type: "password", required: true, attrs: { autocomplete: "current-password" } }),
    h(
      "fieldset",
      { class: "me-fieldset" },
      h("legend", {}, "第一步：验证原手机号"),
      smsButton("change_mobile"),
      field({ name: "old_mobile_code", label: "原手机号收到的验证码", required: true, attrs: { inputmode: "numeric", autocomplete: "one-time-code", maxlength: 10 } }),
    ),
    h(
      "fieldset",
      { class: "me-fieldset" },
      h("legend", {}, "第二步：验证新手机号"),
      field({ name: "mobile", label: "新手机号", type: "tel", required: true, attrs: { autocomplete: "tel", inputmode: "tel", maxlength: 20 } }),
      smsButton("bind_mobile"),
      field({ name: "new_mobile_code", label: "新手机号收到的验证码", required: true, attrs: { inputmode: "numeric", autocomplete: "one-time-code", maxlength: 10 } }),
    ),
    submit("确认更换手机号"),
  );
  onSubmit(
    form,
    async (v) => {
      const account = await post("/api/v1/me/mobile", {
        password: v.password,
        old_mobile_code: v.old_mobile_code.trim(),
        new_mobile: v.mobile.trim(),
        new_mobile_code: v.new_mobile_code.trim(),
      });
      remember(account);
      done(view, `手机号已更换为 ${account.mobile_masked}。`);
    },
    { new_mobile: "mobile" },
  );
  return section("mobile-title", "更换手机号", form);
}

function username(view, me) {
  const form = h(
    "form",
    { class: "form", novalidate: true },
    field({
      name: "username",
      label: "用户名",
      required: true,
      value: me.username,
      hint: "字母开头，4–32位字母、数字或下划线；登录时不区分大小写",
      attrs: { autocomplete: "username", maxlength: 32, autocapitalize: "none", spellcheck: "false" },
    }),
    submit(me.username ? "修改用户名" : "设置用户名"),
  );
  onSubmit(form, async (v) => {
    const account = await put("/api/v1/me/username", { username: v.username.trim() });
    remember(account);
    done(view, `用户名已设置为 ${account.username}。`);
  });
  return section("username-title", "设置用户名", form);
}

