// 预约与叫号 (workbench): a hall of my site and a day; the day's bookings (confirm or decline the
// ones waiting for a reply), finding a booking by code, mobile or name, 取号 by the booking code,
// each window's queue (叫号, 过号, 办结) and the hall's statistics. Every part re-draws itself
// after an action; the hall and day are in the address.

import { account, get, post } from "../api.js";
import { button, dialog, failed, field, fill, h, message, onSubmit, table, time } from "../ui.js";
import { BOOKING_STATES, TICKET_STATES, addDays, chinaToday, clock, section, stateTag } from "./halls_common.js";
import { workbench } from "./layout.js";

export async function render(view) {
  const content = workbench(view, "halls", "预约与叫号");
  const site = account()?.site_code || view.site;
  const { items: halls = [] } = await get(`/api/v1/sites/${encodeURIComponent(site)}/halls`, { page_size: 100 });
  if (!halls.length) {
    content.append(message("本站点尚未设立办事大厅。", "info"));
    return;
  }
  const hall = halls.find((x) => x.id === view.query.get("hall")) || halls[0];
  const day = /^\d{4}-\d{2}-\d{2}$/.test(view.query.get("day") || "") ? view.query.get("day") : chinaToday();

  const pickForm = h(
    "form",
    { class: "form halls-pick", novalidate: true },
    field({ name: "hall", label: "办事大厅", type: "select", value: hall.id, options: halls.map((x) => [x.id, x.name]) }),
    field({ name: "day", label: "日期", type: "date", value: day, required: true }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "查看")),
  );
  onSubmit(pickForm, async (v) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v.day)) throw { day: "请选择日期" };
    view.navigate(`/staff/halls?hall=${encodeURIComponent(v.hall)}&day=${v.day}`);
  });

  const dayBox = h("div");
  const queueBox = h("div");
  const refreshAll = () => Promise.all([drawDay(dayBox, hall, day, refreshAll), drawQueues(queueBox, hall, day)]);
  const statsBox = h("div");
  content.append(
    pickForm,
    h("p", { class: "hint" }, `${hall.name}${hall.address ? `，${hall.address}` : ""}${hall.requires_reply ? "（预约需窗口确认）" : ""}`),
    section(`${day} 预约日视图`, dayBox),
    section("取号（签到）", checkInForm(hall, refreshAll)),
    section("查找预约", searchForm(hall)),
    section("窗口叫号", queueBox),
    section("大厅统计", statsBox),
  );
  await Promise.all([refreshAll(), drawStats(statsBox, hall, day)]);
}

async function drawDay(box, hall, day, refresh) {
  try {
    const { items } = await get(`/api/v1/staff/halls/${encodeURIComponent(hall.id)}/bookings`, { day });
    const waiting = items.filter((b) => b.state === "pending_reply").length;
    fill(
      box,
      h("p", {}, `共 ${items.length} 个预约${waiting ? `，其中 ${waiting} 个待确认` : ""}。`),
      bookingsTable(`${hall.name} ${day} 的预约`, items, refresh),
    );
  } catch (error) {
    failed(box, error);
  }
}

function bookingsTable(caption, items, refresh) {
  if (!items.length) return h("p", { class: "empty" }, "暂无预约。");
  return table(
    caption,
    ["时间", "预约号", "事项", "窗口", "联系人", "状态", "操作"],
    items.map((b) => [
      `${b.starts_at.slice(0, 10)} ${clock(b.starts_at)}–${clock(b.ends_at)}`,
      b.code,
      b.matter_name,
      b.window_name,
      `${b.contact_name_masked} ${b.mobile_masked}`,
      [stateTag(BOOKING_STATES, b.state), b.ticket_number ? ` 第 ${b.ticket_number} 号` : ""],
      b.state === "pending_reply" && refresh ? replyButtons(b, refresh) : "",
    ]),
  );
}

function replyButtons(b, refresh) {
  const status = h("div");
  const confirm = button("确认", async () => {
    confirm.disabled = true;
    try {
      const current = await get(`/api/v1/appointments/${encodeURIComponent(b.id)}`);
      await post(`/api/v1/staff/appointments/${encodeURIComponent(b.id)}/confirm`, { revision: current.revision });
      await refresh();
    } catch (error) {
      confirm.disabled = false;
      fill(status, message(error.message, "error"));
    }
  }, { class: "btn btn-primary", "aria-label": `确认预约 ${b.code}` });
  const decline = button("拒绝", () => declineDialog(b, refresh), { class: "btn btn-danger", "aria-label": `拒绝预约 ${b.code}` });
  return h("div", { class: "actions actions-tight" }, confirm, decline, status);
}

function declineDialog(b, refresh) {
  const form = h(
    "form",
    { class: "form", novalidate: true },
    field({ name: "reason", label: "拒绝原因", type: "textarea", required: true, hint: "将告知预约人", attrs: { maxlength: 200 } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-danger" }, "确认拒绝")),
  );
  const d = dialog(`拒绝预约 ${b.code}`, form);
  onSubmit(form, async ({ reason }) => {
    if (!reason.trim()) throw { reason: "请填写拒绝原因" };
    const current = await get(`/api/v1/appointments/${encodeURIComponent(b.id)}`);
    await post(`/api/v1/staff/appointments/${encodeURIComponent(b.id)}/decline`, { revision: current.revision, reason: reason.trim() });
    d.close();
    await refresh();
  });
}

function checkInForm(hall, refresh) {
  const result = h("div");
  const form = h(
    "form",
    { class: "form", novalidate: true },
    h("p", { class: "hint" }, "已确认的预约可在开始前 15 分钟至开始后 15 分钟内取号。"),
    field({ name: "code", label: "预约号", required: true, attrs: { autocomplete: "off", autocapitalize: "characters" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "取号")),
    result,
  );
  onSubmit(form, async ({ code }) => {
    fill(result);
    const value = code.trim().toUpperCase();
    if (!value) throw { code: "请输入预约号" };
    const ticket = await post(`/api/v1/halls/${encodeURIComponent(hall.id)}/check-in`, { code: value });
    form.reset();
    fill(result, message(`取号成功：${ticket.display}（${ticket.matter_name}），请到 ${ticket.window_name} 等候叫号。`, "success"));
    await refresh();
  });
  return form;
}

function searchForm(hall) {
  const result = h("div");
  const form = h(
    "form",
    { class: "form", novalidate: true, role: "search", "aria-label": "查找预约" },
    field({ name: "q", label: "预约号、手机号或姓名", required: true, hint: "按姓名只查当天的预约" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "查找")),
  );
  onSubmit(form, async ({ q }) => {
    if (!q.trim()) throw { q: "请输入预约号、手机号或姓名" };
    const { items } = await get(`/api/v1/staff/halls/${encodeURIComponent(hall.id)}/bookings/search`, { q: q.trim() });
    fill(result, items.length ? bookingsTable(`“${q.trim()}”的查找结果`, items, null) : h("p", { class: "empty", role: "status" }, "没有找到匹配的预约。"));
  });
  return h("div", {}, form, result);
}

async function drawQueues(box, hall, day) {
  const windows = (hall.windows || []).filter((w) => w.active !== false);
  if (!windows.length) {
    fill(box, h("p", { class: "empty" }, "该大厅尚无窗口。"));
    return;
  }
  const parts = windows.map(() => h("div", { class: "queue-window" }));
  fill(box, parts);
  await Promise.all(windows.map((w, i) => drawQueue(parts[i], w, day, h("div"))));
}

// `status` outlives the redraws: what 叫号 called stays said after the queue is read again.
async function drawQueue(box, win, day, status) {
  const redraw = () => drawQueue(box, win, day, status);
  const act = (work) => async () => {
    fill(status);
    try {
      await work();
      await redraw();
    } catch (error) {
      fill(status, message(error.message, "error"));
    }
  };
  try {
    const { items, waiting } = await get(`/api/v1/staff/windows/${encodeURIComponent(win.id)}/queue`, { day });
    const callNext = button("叫号", act(async () => {
      const t = await post(`/api/v1/staff/windows/${encodeURIComponent(win.id)}/call-next`);
      fill(status, message(`请 ${t.display} 号到 ${t.window_name} 办理`, "success"));
    }), { class: "btn btn-primary", "aria-label": `${win.name} 叫号` });
    fill(
      box,
      h("h3", {}, win.name),
      h("p", {}, `等候 ${waiting} 人`),
      h("div", { class: "actions" }, callNext),
      status,
      items.length
        ? table(
            `${win.name} ${day} 的排队`,
            ["号码", "预约号", "事项", "取号时间", "状态", "操作"],
            items.map((t) => [
              t.display,
              t.booking_code,
              t.matter_name,
              time(t.checked_in_at),
              stateTag(TICKET_STATES, t.state),
              h(
                "div",
                { class: "actions actions-tight" },
                ["waiting", "called"].includes(t.state)
                  ? button("过号", act(() => post(`/api/v1/staff/tickets/${encodeURIComponent(t.id)}/skip`, { revision: t.revision })), { class: "btn", "aria-label": `过号 ${t.display}` })
                  : null,
                t.state === "called"
                  ? button("办结", act(() => post(`/api/v1/staff/tickets/${encodeURIComponent(t.id)}/done`, { revision: t.revision })), { class: "btn btn-primary", "aria-label": `办结 ${t.display}` })
                  : null,
              ),
            ]),
          )
        : h("p", { class: "empty" }, "当日暂无取号。"),
    );
  } catch (error) {
    fill(box, h("h3", {}, win.name), message(error.message, "error"));
  }
}

async function drawStats(box, hall, day) {
  const from = addDays(day, -6);
  const to = addDays(day, 6);
  try {
    const stats = await get(`/api/v1/staff/halls/${encodeURIComponent(hall.id)}/statistics`, { from, to });
    fill(
      box,
      h("p", { class: "hint" }, `${from} 至 ${to}`),
      stats.matters.length
        ? table("按事项和日期统计", ["日期", "事项", "预约", "取号", "爽约", "取消"], stats.matters.map((m) => [m.day, m.matter_name || m.matter_code, m.booked, m.checked_in, m.no_show, m.cancelled]))
        : h("p", { class: "empty" }, "该期间暂无预约。"),
      stats.days.length
        ? table("每日号源使用", ["日期", "号源", "已预约", "使用率"], stats.days.map((d) => [d.day, d.capacity, d.booked, `${(d.fill * 100).toFixed(1)}%`]))
        : null,
    );
  } catch (error) {
    fill(box, message(error.status === 403 ? "大厅统计仅站点管理员和督办人员可查看。" : error.message, "info"));
  }
}
