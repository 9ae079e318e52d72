// 预约详情: one booking — its code (and QR when the API gives one), hall, window, time (Beijing
// time) and state; 取消预约 with a reason, confirmed in a dialog.

import { get, post } from "../api.js";
import { button, dialog, facts, field, h, onSubmit, time } from "../ui.js";
import { mySpace } from "./layout.js";
import { bookingStateTag, bookingTime, section, add } from "./case_labels.js";

export async function render(view) {
  const b = await get(`/api/v1/appointments/${encodeURIComponent(view.params.booking)}`);
  const content = mySpace(view, "appointments", "预约详情");
  const reload = () => view.navigate(location.pathname + location.search, { replace: true });
  const active = ["pending_reply", "confirmed"].includes(b.state);
  add(content, 
    h("p", {}, h("a", { href: active ? "/me/appointments" : "/me/appointments?tab=history" }, "返回我的预约")),
    h(
      "div",
      { class: "me-booking-code" },
      h("p", {}, "预约号"),
      h("p", { class: "me-code me-code-big" }, b.code),
      b.qr ? h("img", { src: b.qr, alt: `预约号 ${b.code} 的二维码`, class: "me-qr" }) : null,
      active ? h("p", { class: "hint" }, "请按时到大厅，凭预约号或本人证件取号办理。") : null,
    ),
    section(
      "预约信息",
      facts([
        ["办理状态", bookingStateTag(b.state)],
        ["状态说明", b.state_reason],
        ["办理事项", b.matter_name || b.matter_code],
        ["预约时间", `${bookingTime(b)}（北京时间）`],
        ["办事大厅", b.hall_name],
        ["办理窗口", b.window_name],
        ["所在站点", b.site_name],
        ["联系人", b.contact_name_masked],
        ["联系电话", b.contact_mobile_masked],
        ["电子邮箱", b.email],
        ["预约内容", b.purpose],
        ["预约提交时间", time(b.created_at)],
      ]),
    ),
    active ? h("div", { class: "actions" }, button("取消预约", () => cancel(b, reload), { class: "btn btn-danger", "aria-haspopup": "dialog" })) : null,
  );
}

function cancel(b, reload) {
  const form = h(
    "form",
    { class: "form", novalidate: true },
    h("p", {}, `确定取消 ${bookingTime(b)} 在${b.hall_name || "大厅"}的预约吗？取消后该时段将释放给其他办事群众。`),
    field({ name: "reason", label: "取消原因", type: "textarea", hint: "可选，不超过 200 字。", attrs: { maxlength: 200, rows: 2 } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-danger" }, "确认取消预约"), button("暂不取消", () => d.close())),
  );
  const d = dialog("取消预约", form);
  onSubmit(form, async (values) => {
    await post(`/api/v1/appointments/${encodeURIComponent(b.id)}/cancel`, { revision: b.revision || 0, reason: values.reason || "" });
    d.close();
    reload();
  });
}
