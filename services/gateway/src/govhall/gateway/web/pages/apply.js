// 在线申报, before the form: the matter's guide in brief, step 1 the situations (情形) that decide
// which materials and form sections apply, step 2 the 申报须知 to read and accept; then a draft
// is made (POST /api/v1/cases) and the applicant goes on to /apply/case/{id}.

import { account, get, post } from "../api.js";
import { facts, field, fill, h, message, onSubmit } from "../ui.js";
import { NOTICE_KEY, stepsBar } from "./apply_common.js";

const AUDIENCE = { person: "自然人", legal_person: "法人" };

export async function render(view) {
  const { site, code } = view.params;
  const guide = await get(`/api/v1/sites/${encodeURIComponent(site)}/matters/${encodeURIComponent(code)}`);
  view.title(`在线申报：${guide.name}`);
  const me = account();
  const situations = guide.situations || [];
  const body = h("div");
  view.main.append(
    h("h1", {}, `在线申报：${guide.name}`),
    facts([
      ["实施主体", guide.department_name],
      ["办理站点", guide.site_name],
      ["办件类型", guide.type_label],
      ["承诺时限", guide.promised_limit?.value ? `${guide.promised_limit.value} 个工作日` : ""],
      ["申请人", me ? `${me.name || me.username || ""}（${AUDIENCE[me.kind] || ""}）` : ""],
    ]),
    h("p", {}, h("a", { href: `/guide/${encodeURIComponent(site)}/${encodeURIComponent(code)}` }, "查看完整办事指南")),
    body,
  );
  if (!guide.online_application) {
    body.append(message("该事项暂不支持网上申报，请按办事指南到窗口办理。", "error"));
    return;
  }
  if (me && guide.audiences?.length && !guide.audiences.includes(me.kind)) {
    const who = guide.audiences.map((a) => AUDIENCE[a] || a).join("、");
    body.append(message(`该事项的服务对象为${who}，当前账号不能申报。`, "error"));
    return;
  }
  // A person applies only once their real name is verified (cases refuses a draft before):
  // say so here, with the way there, rather than after the 情形 and 须知.
  if (me?.kind === "person" && (await get("/api/v1/me")).real_name_level === "unverified") {
    body.append(
      message("在线申报需要先完成实名认证（本人姓名和身份证号码）。", "error"),
      h("p", {}, h("a", { href: "/me/security", class: "btn btn-primary" }, "去实名认证")),
    );
    return;
  }
  const state = { answers: {} };
  if (situations.length) showSituations(view, guide, body, state);
  else showNotice(view, guide, body, state);
}

function labels(guide, withSituations) {
  return withSituations ? ["选择情形", "阅读须知", "填写申请", "提交"] : ["阅读须知", "填写申请", "提交"];
}

function showSituations(view, guide, body, state) {
  const form = h(
    "form",
    { class: "form", novalidate: true },
    guide.situations.map((s) =>
      field({
        name: `situation_answers.${s.code}`,
        label: s.question,
        type: s.multiple ? "checkboxes" : "radio",
        required: true,
        hint: s.multiple ? "可多选" : undefined,
        value: state.answers[s.code] || (s.multiple ? [] : ""),
        options: s.options.map((o) => [o.code, o.label]),
      }),
    ),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "下一步")),
  );
  onSubmit(form, async (values) => {
    const problems = {};
    for (const s of guide.situations) {
      const v = values[`situation_answers.${s.code}`];
      const chosen = Array.isArray(v) ? v : v ? [v] : [];
      if (!chosen.length) problems[`situation_answers.${s.code}`] = "请选择";
      state.answers[s.code] = chosen;
    }
    if (Object.keys(problems).length) throw problems;
    showNotice(view, guide, body, state);
  });
  fill(body, stepsBar(labels(guide, true), 0), h("h2", {}, "第一步：选择情形"), h("p", {}, "请根据您的实际情况选择，系统将据此确定需要提交的材料和填写的内容。"), form);
}

function showNotice(view, guide, body, state) {
  const withSituations = !!guide.situations?.length;
  const notice = guide.guide?.notice || "请如实填写申请信息、提交真实有效的申请材料。";
  const form = h(
    "form",
    { class: "form", novalidate: true },
    h("div", { class: "notice-text", role: "region", "aria-label": "申报须知全文", tabindex: "0" }, notice.split(/\n+/).map((p) => h("p", {}, p))),
    field({ name: "notice_read", label: "我已阅读并同意", type: "checkbox", required: true }),
    h(
      "div",
      { class: "actions" },
      withSituations ? h("button", { type: "button", class: "btn", onclick: () => showSituations(view, guide, body, state) }, "上一步") : null,
      h("button", { type: "submit", class: "btn btn-primary" }, "同意并开始填报"),
    ),
  );
  onSubmit(
    form,
    async (values) => {
      if (!values.notice_read) throw { notice_read: "请阅读并勾选“我已阅读并同意”" };
      const answers = Object.entries(state.answers).map(([situation_code, option_codes]) => ({ situation_code, option_codes }));
      state.key ??= crypto.randomUUID();
      const draft = await post(
        "/api/v1/cases",
        { site_code: view.params.site, matter_code: view.params.code, situation_answers: answers, delivery: { method: "pick_up" } },
        { idempotencyKey: state.key },
      );
      sessionStorage.setItem(NOTICE_KEY + draft.id, "1");
      view.navigate(`/apply/case/${encodeURIComponent(draft.id)}`, { replace: true });
    },
    // "situation_answers[0].option_codes" → the first situation's field
    Object.fromEntries((guide.situations || []).map((s, i) => [`situation_answers[${i}].option_codes`, `situation_answers.${s.code}`])),
  );
  const step = withSituations ? 1 : 0;
  fill(body, stepsBar(labels(guide, withSituations), step), h("h2", {}, `${withSituations ? "第二步" : "第一步"}：申报须知`), form);
}
