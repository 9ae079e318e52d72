// 预约: the matter's free and full slots at the site's halls (Beijing time) by hall and day, a
// slot chosen by its button, the situation if the matter has them, the contact (the signed-in
// name, the account's mobile unless another is given) → 确认预约; then the booking code and its
// QR, with a link to the booking in 我的空间.

import { get, post } from "../api.js";
import { button, facts, field, fill, h, message, onSubmit } from "../ui.js";
import { BOOKING_STATES, clock, dayLabel, stateTag } from "./halls_common.js";

export async function render(view) {
  const { site, code } = view.params;
  const base = `/api/v1/sites/${encodeURIComponent(site)}/matters/${encodeURIComponent(code)}`;
  const [guide, me] = await Promise.all([get(base), get("/api/v1/me").catch(() => null)]);
  view.title(`预约：${guide.name}`);
  // A person books only once their real name is verified: say so first, with the way there.
  if (me?.kind === "person" && me.real_name_level === "unverified") {
    view.main.append(
      h("h1", {}, `预约办理：${guide.name}`),
      message("预约办理需要先完成实名认证（本人姓名和身份证号码）。", "error"),
      h("p", {}, h("a", { href: "/me/security", class: "btn btn-primary" }, "去实名认证")),
    );
    return;
  }
  const slotsBox = h("div", { class: "book-slots" }, h("p", { class: "loading" }, "正在加载可预约时段…"));
  const chosen = { slot: null };
  const chosenText = h("p", { class: "book-chosen", role: "status" }, "尚未选择时段。");
  const result = h("div", { class: "book-result" });

  const situations = (guide.situations || []).flatMap((s) => (s.options || []).map((o) => [o.code, `${s.question}：${o.label}`]));
  const form = h(
    "form",
    { class: "form", novalidate: true },
    h("h2", {}, "填写预约信息"),
    chosenText,
    situations.length
      ? field({ name: "situation", label: "办理情形", type: "select", required: true, options: [["", "请选择"], ...situations] })
      : null,
    field({ name: "contact_name", label: "联系人", value: me?.name || "", hint: "默认为实名认证的姓名", attrs: { autocomplete: "name" } }),
    field({
      name: "contact_mobile",
      label: "联系电话",
      type: "tel",
      hint: me?.mobile_masked ? `留空则使用账号手机号 ${me.mobile_masked}` : "留空则使用账号手机号",
      attrs: { autocomplete: "tel" },
    }),
    field({ name: "purpose", label: "预约内容", type: "textarea", hint: "简要说明要办理的事情（选填）", attrs: { maxlength: 500 } }),
    h("p", { class: "field-error", "data-error-for": "slot_id" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "确认预约")),
  );
  onSubmit(form, async (values) => {
    if (!chosen.slot) throw { slot_id: "请先选择预约时段" };
    const body = { slot_id: chosen.slot.id, matter_code: code, qr_format: "png", ...values };
    if (!situations.length) delete body.situation;
    let booked;
    try {
      booked = await post("/api/v1/appointments", body);
    } catch (error) {
      // A place taken meanwhile: the list shows it full now; the refusal stays on the form.
      if (error.status === 409) loadSlots();
      throw error;
    }
    form.hidden = true;
    slotsBox.hidden = true;
    fill(result, success(booked));
    result.querySelector("h2")?.focus();
  });

  async function loadSlots() {
    try {
      const { items } = await get(`${base}/slots`, {}, { auth: false });
      drawSlots(items || []);
    } catch (error) {
      fill(slotsBox, message(error.message, "error"));
    }
  }

  function drawSlots(slots) {
    if (!slots.length) {
      fill(slotsBox, message("近期没有可预约的时段，请稍后再试或致电大厅咨询。", "info"));
      form.hidden = true;
      return;
    }
    const halls = new Map();
    for (const slot of slots) {
      if (!halls.has(slot.hall_id)) halls.set(slot.hall_id, { name: slot.hall_name, days: new Map() });
      const days = halls.get(slot.hall_id).days;
      const day = slot.starts_at.slice(0, 10);
      if (!days.has(day)) days.set(day, []);
      days.get(day).push(slot);
    }
    const free = (list) => list.filter((s) => !s.closed && s.remaining > 0).length;
    const hallIds = [...halls.keys()];
    const current = { hall: chosen.slot?.hall_id && halls.has(chosen.slot.hall_id) ? chosen.slot.hall_id : hallIds[0], day: chosen.slot?.starts_at.slice(0, 10) };
    const hallPick = field({ name: "hall", label: "办事大厅", type: "select", value: current.hall, options: hallIds.map((id) => [id, halls.get(id).name]) });
    const dayPick = h("div");
    const grid = h("div", { class: "slot-grid", role: "group", "aria-label": "可选时段" });
    const drawDays = () => {
      const days = halls.get(current.hall).days;
      if (!days.has(current.day)) current.day = [...days.keys()].find((d) => free(days.get(d))) || [...days.keys()][0];
      const select = field({
        name: "day",
        label: "预约日期",
        type: "select",
        value: current.day,
        options: [...days.entries()].map(([d, list]) => [d, `${dayLabel(d)} ${free(list) ? `余 ${free(list)} 个时段` : "已约满"}`]),
      });
      select.querySelector("select").addEventListener("change", (e) => {
        current.day = e.target.value;
        drawGrid();
      });
      fill(dayPick, select);
      drawGrid();
    };
    const drawGrid = () => {
      const list = halls.get(current.hall).days.get(current.day) || [];
      fill(
        grid,
        list.map((slot) => {
          const full = slot.closed || slot.remaining <= 0;
          const state = slot.closed ? `停办${slot.close_reason ? `（${slot.close_reason}）` : ""}` : full ? "已约满" : `余 ${slot.remaining} 个号`;
          const pressed = chosen.slot?.id === slot.id;
          return button(`${clock(slot.starts_at)}–${clock(slot.ends_at)} ${state}`, () => pick(slot), {
            class: `btn slot${pressed ? " slot-chosen" : ""}`,
            disabled: full && !pressed,
            "aria-pressed": pressed ? "true" : "false",
            title: slot.window_name,
          });
        }),
      );
    };
    const pick = (slot) => {
      chosen.slot = slot;
      chosenText.textContent = `已选择：${slot.hall_name} ${slot.window_name}，${dayLabel(slot.starts_at.slice(0, 10))} ${clock(slot.starts_at)}–${clock(slot.ends_at)}`;
      form.querySelector('[data-error-for="slot_id"]').textContent = "";
      drawGrid();
    };
    hallPick.querySelector("select").addEventListener("change", (e) => {
      current.hall = e.target.value;
      drawDays();
    });
    fill(slotsBox, h("h2", {}, "选择时段"), h("p", { class: "hint" }, "时间均为北京时间。已约满的时段不可选择。"), hallIds.length > 1 ? hallPick : h("p", {}, `办事大厅：${halls.get(current.hall).name}`), dayPick, grid);
    drawDays();
  }

  view.main.append(
    h("h1", {}, `预约办理：${guide.name}`),
    facts([
      ["实施部门", guide.department_name],
      ["所属站点", guide.site_name],
    ]),
    guide.appointment === false ? message("该事项暂不支持网上预约。", "info") : "",
    slotsBox,
    form,
    result,
    h("p", {}, h("a", { href: `/guide/${encodeURIComponent(site)}/${encodeURIComponent(code)}` }, "返回办事指南")),
  );
  await loadSlots();
}

function success(b) {
  return [
    h("h2", { tabindex: "-1" }, "预约成功"),
    message(b.state === "pending_reply" ? "预约已提交，等待窗口确认，确认结果将通过消息和短信通知您。" : "预约成功，请按时到大厅取号办理。", "success"),
    b.warning ? message(b.warning, "info") : null,
    facts([
      ["预约号", h("strong", { class: "booking-code" }, b.code)],
      ["事项", b.matter_name],
      ["大厅", b.hall_name],
      ["窗口", b.window_name],
      ["时间", `${dayLabel(b.starts_at.slice(0, 10))} ${clock(b.starts_at)}–${clock(b.ends_at)}`],
      ["联系人", `${b.contact_name_masked} ${b.contact_mobile_masked}`],
      ["状态", stateTag(BOOKING_STATES, b.state)],
    ]),
    b.qr && b.qr.startsWith("data:image/") ? h("img", { class: "booking-qr", src: b.qr, alt: `预约号 ${b.code} 的二维码，到大厅取号时出示`, width: 180, height: 180 }) : null,
    h("p", {}, h("a", { href: `/me/appointments/${encodeURIComponent(b.id)}` }, "查看预约详情"), "　", h("a", { href: "/me/appointments" }, "我的预约")),
  ];
}
