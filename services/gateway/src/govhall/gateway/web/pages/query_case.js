// 办件查询: anyone follows a case by its case number (办件编号) or application number (申报号) and
// the query password shown once at submission, without signing in.

import { post } from "../api.js";
import { facts, field, fill, h, onSubmit, time } from "../ui.js";

export async function render(view) {
  view.title("办件查询");
  const result = h("div", { class: "query-result" });
  const form = h(
    "form",
    { class: "form", novalidate: true },
    field({ name: "case_number", label: "办件编号或申报号", required: true, value: view.query.get("number") || "", hint: "受理前使用申报号（SB 开头），受理后也可使用办件编号", attrs: { autocomplete: "off", maxlength: 64 } }),
    field({ name: "query_password", label: "查询密码", required: true, hint: "提交申报时显示的 8 位查询密码", attrs: { autocomplete: "off", maxlength: 32, autocapitalize: "characters" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "查询")),
  );
  onSubmit(form, async (values) => {
    const number = values.case_number.trim();
    const password = values.query_password.trim().toUpperCase();
    const problems = {};
    if (!number) problems.case_number = "请输入办件编号或申报号";
    if (!password) problems.query_password = "请输入查询密码";
    if (Object.keys(problems).length) throw problems;
    fill(result);
    const status = await post("/api/v1/cases/status-query", { case_number: number, query_password: password }, { auth: false });
    showStatus(result, status);
  });
  view.main.append(
    h("h1", {}, "办件查询"),
    h("p", {}, "输入办件编号（或申报号）和查询密码，查看办件的办理进度。登录后可在", h("a", { href: "/me/cases" }, "我的办件"), "中查看全部办件。"),
    form,
    result,
  );
}

function showStatus(container, s) {
  const steps = [
    ["提交申报", s.submitted_at],
    ["受理", s.accepted_at],
    ["办结", s.ended_at],
  ];
  fill(
    container,
    h(
      "section",
      { class: "card", "aria-labelledby": "query-result-title" },
      h("h2", { id: "query-result-title", tabindex: "-1" }, "办理进度：", h("span", { class: "tag tag-ok state" }, s.state_zh)),
      facts([
        ["办理事项", s.matter_name],
        ["办理部门", s.department_name],
        ["申报号", s.application_number],
        ["办件编号", s.case_number || "尚未受理"],
        ["当前环节", s.current_step_name],
        ["办理结果", s.result_zh],
        ["承诺办结日期", s.promised_due],
        ["法定办结日期", s.legal_due],
      ]),
      h("h3", {}, "办理过程"),
      h(
        "ol",
        { class: "progress-steps" },
        steps.map(([name, at]) =>
          h("li", { class: at ? "done" : "todo" }, h("span", { class: "step-name" }, name), "：", at ? time(at) : "未进行"),
        ),
      ),
    ),
  );
  container.querySelector("h2")?.focus();
}
