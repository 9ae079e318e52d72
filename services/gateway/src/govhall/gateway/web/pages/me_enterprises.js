// 我的企业: the enterprises I represent or act for; 法人注册; a represented enterprise's agents
// (经办人授权, revoke); 以企业身份办事 (the portal then acts with the enterprise's token, and says
// so, until I switch back to my own identity).

import { account, del, get, post, saveSession, session } from "../api.js";
import { button, date, empty, facts, field, fill, h, message, onSubmit, table, time } from "../ui.js";
import { mySpace } from "./layout.js";
import { confirmAction, reload, statusArea, tag, addTo } from "./me_common.js";

// The person's own session, kept while the portal acts for an enterprise.
const PERSONAL = "govhall.personal-session";
const FLASH = "govhall.enterprises.flash";
const RELATIONS = { representative: "法定代表人", agent: "经办人", self: "法人本身" };
const SCOPES = [
  ["cases.apply", "申办事项"],
  ["cases.view", "查看办件"],
  ["appointments.book", "预约办事"],
  ["consult.submit", "咨询投诉"],
  ["licences.view", "查看证照"],
];
const SCOPE_NAMES = Object.fromEntries(SCOPES);
const TYPES = [
  ["enterprise", "企业"],
  ["individual_business", "个体工商户"],
  ["public_institution", "事业单位"],
  ["social_organisation", "社会团体"],
  ["private_non_enterprise", "民办非企业单位"],
  ["government_agency", "政府机关"],
  ["other", "其他组织"],
];
const AGENT_STATES = { active: ["有效", "ok"], revoked: ["已撤销", "bad"], expired: ["已过期", "warn"] };

export async function render(view) {
  const content = mySpace(view, "enterprises", "我的企业");
  const status = statusArea();
  const flash = sessionStorage.getItem(FLASH);
  if (flash) {
    sessionStorage.removeItem(FLASH);
    status.append(message(flash, "success"));
  }
  const me = account();
  if (me?.kind === "legal_person") {
    addTo(content, status, actingBanner(view, me));
    return;
  }
  const enterprises = await get("/api/v1/me/enterprises");
  const done = (text) => {
    sessionStorage.setItem(FLASH, text);
    reload(view);
  };
  const fail = (error) => status.replaceChildren(message(error.message, "error"));
  addTo(
    content,
    status,
    enterprises.length
      ? h("ul", { class: "cards me-list me-wide" }, enterprises.map((e) => h("li", { class: "card" }, enterpriseCard(view, e, fail))))
      : empty("您还没有企业。作为法定代表人可在下方注册法人账号；经企业授权的经办人，授权后会在这里看到企业。"),
    registerSection(done),
  );
}

function actingBanner(view, me) {
  const personal = sessionStorage.getItem(PERSONAL);
  return h(
    "section",
    { class: "me-section acting", "aria-labelledby": "acting-title" },
    h("h2", { id: "acting-title" }, personal ? "正在以企业身份办事" : "法人账号"),
    message(`您当前正以“${me.name}”的身份办事，申办、预约、查看办件等操作都将以该单位的名义进行。`, "info"),
    h(
      "div",
      { class: "actions" },
      personal
        ? button("切换回个人身份", () => {
            saveSession(JSON.parse(personal));
            sessionStorage.removeItem(PERSONAL);
            sessionStorage.setItem(FLASH, "已切换回个人身份。");
            reload(view);
          }, { class: "btn btn-primary" })
        : h("p", {}, "如需以个人身份办事，请退出后使用个人账号登录。"),
    ),
  );
}

function enterpriseCard(view, e, fail) {
  const agents = h("div", { class: "agents" });
  const act = async (btn) => {
    btn.disabled = true;
    try {
      const tokens = await post(`/api/v1/enterprises/${encodeURIComponent(e.id)}/act`);
      sessionStorage.setItem(PERSONAL, JSON.stringify(session()));
      saveSession(tokens);
      sessionStorage.setItem(FLASH, `已切换为以“${e.name}”的身份办事。`);
      reload(view);
    } catch (error) {
      btn.disabled = false;
      fail(error);
    }
  };
  const actButton = button("以企业身份办事", () => act(actButton), { class: "btn btn-primary", "aria-label": `以企业身份办事：${e.name}` });
  const card = [
    h("h2", { class: "card-title" }, e.name, " ", tag(RELATIONS[e.relation] || e.relation)),
    facts([
      ["统一社会信用代码", e.credit_code],
      ["单位类型", e.type_label],
      ["法定代表人", e.representative_name],
      ["授权范围", e.relation === "agent" ? (e.scopes || []).map((s) => SCOPE_NAMES[s] || s).join("、") : ""],
      ["授权截止", e.relation === "agent" ? time(e.authorised_until) : ""],
    ]),
    h("div", { class: "actions" }, actButton),
  ];
  if (e.relation === "representative") {
    card.push(agents);
    showAgents(e, agents, fail);
  }
  return card;
}

async function showAgents(e, box, fail) {
  const base = `/api/v1/enterprises/${encodeURIComponent(e.id)}/agents`;
  const headingId = `agents-${e.id}`;
  let list;
  try {
    list = await get(base);
  } catch (error) {
    fill(box, message(error.message, "error"));
    return;
  }
  const refresh = () => showAgents(e, box, fail);
  const revoke = async (a) => {
    if (!(await confirmAction("撤销授权", `确定撤销 ${a.agent_name} 代表“${e.name}”办事的授权吗？`, "确认撤销"))) return;
    try {
      await del(`${base}/${encodeURIComponent(a.id)}`);
      refresh();
    } catch (error) {
      fail(error);
    }
  };
  const form = h(
    "form",
    { class: "form", novalidate: true },
    field({ name: "agent_name", label: "经办人姓名", required: true, attrs: { maxlength: 30 } }),
    field({
      name: "agent_id_number",
      label: "经办人身份证号",
      required: true,
      hint: "经办人须已在本网注册并完成实名认证",
      attrs: { inputmode: "text", autocomplete: "off", autocapitalize: "characters", spellcheck: "false", maxlength: 18 },
    }),
    field({ name: "scopes", label: "授权范围", type: "checkboxes", required: true, options: SCOPES, value: ["cases.apply", "cases.view"] }),
    field({ name: "expires_on", label: "授权截止日期", type: "date", required: true, value: inDays(90) }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "授权经办人")),
  );
  onSubmit(
    form,
    async (v) => {
      const problems = {};
      if (!v.scopes?.length) problems.scopes = "请至少选择一项授权范围";
      if (!v.expires_on) problems.expires_on = "请选择授权截止日期";
      if (Object.keys(problems).length) throw problems;
      await post(base, {
        agent_name: v.agent_name.trim(),
        agent_id_number: v.agent_id_number.replace(/\s+/g, "").toUpperCase(),
        scopes: v.scopes,
        expires_at: `${v.expires_on}T23:59:59+08:00`,
      });
      refresh();
    },
    { expires_at: "expires_on" },
  );
  fill(
    box,
    h("h3", { id: headingId }, "经办人授权"),
    list.length
      ? table(
          `${e.name}的经办人`,
          ["经办人", "手机号", "授权范围", "截止时间", "状态", "操作"],
          list.map((a) => {
            const [label, kind] = AGENT_STATES[a.status] || [a.status, ""];
            return [
              a.agent_name,
              a.agent_mobile_masked,
              (a.scopes || []).map((s) => SCOPE_NAMES[s] || s).join("、"),
              time(a.expires_at),
              tag(label, kind),
              a.status === "active" ? button("撤销", () => revoke(a), { class: "btn btn-danger", "aria-label": `撤销 ${a.agent_name} 的授权` }) : "—",
            ];
          }),
        )
      : empty("尚未授权经办人。"),
    h("details", { class: "me-details" }, h("summary", {}, "新增经办人授权"), form),
  );
}

function inDays(n) {
  return date(new Date(Date.now() + n * 86_400_000).toISOString());
}

function registerSection(done) {
  const form = h(
    "form",
    { class: "form", novalidate: true },
    h("p", {}, "以法定代表人身份为单位注册法人账号。注册后可授权经办人代表单位办事。"),
    field({ name: "credit_code", label: "统一社会信用代码", required: true, hint: "18位，字母请大写", attrs: { autocapitalize: "characters", spellcheck: "false", maxlength: 18, autocomplete: "off" } }),
    field({ name: "name", label: "单位名称", required: true, attrs: { maxlength: 200, autocomplete: "organization" } }),
    field({ name: "type", label: "单位类型", type: "select", required: true, value: "enterprise", options: TYPES }),
    field({ name: "password", label: "法人账号密码", type: "password", required: true, hint: "用于法人登录；至少8位，含字母、数字、符号中的两种", attrs: { autocomplete: "new-password" } }),
    field({ name: "confirm_password", label: "确认密码", type: "password", required: true, attrs: { autocomplete: "new-password" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "注册法人")),
  );
  onSubmit(form, async (v) => {
    if (v.password !== v.confirm_password) throw { confirm_password: "两次输入的密码不一致" };
    const made = await post("/api/v1/enterprises", {
      credit_code: v.credit_code.trim().toUpperCase(),
      name: v.name.trim(),
      type: v.type,
      password: v.password,
    });
    done(`“${made.name}”注册成功，您是其法定代表人。`);
  });
  return h("section", { class: "me-section", "aria-labelledby": "register-title" }, h("h2", { id: "register-title" }, "法人注册"), form);
}
