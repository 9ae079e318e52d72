// 我的消息: my messages newest first (all, or only the unread), each marked read or deleted, all
// marked read at once; the navigation's unread badge follows every change.

import { del, get, post } from "../api.js";
import { refreshUnread } from "../app.js";
import { button, empty, h, message, pager, tabs, time } from "../ui.js";
import { mySpace } from "./layout.js";
import { add } from "./case_labels.js";

const PAGE_SIZE = 20;

/** Where a message leads: the case, letter, booking or licence it is about. */
function linkOf(m) {
  const id = encodeURIComponent(m.link_id || "");
  if (!m.link_id) return null;
  return (
    {
      case: [`/me/cases/${id}`, "查看办件"],
      letter: [`/me/consultations/${id}`, "查看咨询"],
      booking: [`/me/appointments/${id}`, "查看预约"],
      licence: [`/me/licences/${id}`, "查看证照"],
      error_report: ["/me/error-reports", "查看纠错"],
    }[m.link_kind] || null
  );
}

export async function render(view) {
  const content = mySpace(view, "messages", "我的消息");
  const unreadOnly = ["1", "true"].includes(view.query.get("unread_only") || "");
  const status = h("div", { class: "me-status" });
  const list = h("ul", { class: "me-messages" });
  const more = h("div", {});
  const reload = () => view.navigate(location.pathname + location.search, { replace: true });
  const [first, count] = await Promise.all([
    get("/api/v1/me/messages", { unread_only: unreadOnly || undefined, page: 1, page_size: PAGE_SIZE }),
    get("/api/v1/me/messages/unread-count"),
  ]);
  const unread = Number(count.unread) || 0;

  const item = (m) => {
    const li = h("li", { class: `card me-message${m.read ? "" : " me-unread"}` });
    const draw = () => {
      const go = linkOf(m);
      li.className = `card me-message${m.read ? "" : " me-unread"}`;
      li.replaceChildren(
        h(
          "h2",
          { class: "me-card-title" },
          m.read ? null : h("span", { class: "tag tag-warn" }, "未读"),
          m.read ? null : " ",
          m.title || "消息",
        ),
        h("p", { class: "hint" }, time(m.created_at)),
        m.body ? h("p", { class: "me-message-body" }, m.body) : null,
        h(
          "div",
          { class: "actions" },
          go ? h("a", { href: go[0], class: "btn" }, go[1]) : null,
          m.read
            ? null
            : button("标为已读", async () => {
                try {
                  Object.assign(m, await post(`/api/v1/me/messages/${encodeURIComponent(m.id)}/read`, {}));
                  draw();
                  status.replaceChildren(message("已标为已读。", "success"));
                  refreshUnread();
                } catch (error) {
                  status.replaceChildren(message(error.message, "error"));
                }
              }, { "aria-label": `标为已读：${m.title || "消息"}` }),
          button("删除", async () => {
            try {
              await del(`/api/v1/me/messages/${encodeURIComponent(m.id)}`);
              li.remove();
              status.replaceChildren(message("消息已删除。", "success"));
              refreshUnread();
              if (!list.children.length) list.replaceWith(empty("暂无消息。"));
            } catch (error) {
              status.replaceChildren(message(error.message, "error"));
            }
          }, { class: "btn btn-danger", "aria-label": `删除：${m.title || "消息"}` }),
        ),
      );
    };
    draw();
    return li;
  };

  const show = (body, page) => {
    list.append(...(body.items || []).map(item));
    more.replaceChildren();
    if (page * PAGE_SIZE < (body.page?.total || 0)) {
      more.append(
        pager(page + 1, async (next) =>
          show(await get("/api/v1/me/messages", { unread_only: unreadOnly || undefined, page: next, page_size: PAGE_SIZE }), next),
        ),
      );
    }
  };

  add(content, 
    tabs(
      "消息筛选",
      [
        ["/me/messages", "全部消息", "all"],
        ["/me/messages?unread_only=1", `未读消息（${unread}）`, "unread"],
      ],
      unreadOnly ? "unread" : "all",
    ),
    h(
      "div",
      { class: "actions" },
      unread
        ? button("全部标为已读", async (event) => {
            const btn = event.currentTarget;
            btn.disabled = true;
            try {
              await post("/api/v1/me/messages/read-all", {});
              refreshUnread();
              reload();
            } catch (error) {
              btn.disabled = false;
              status.replaceChildren(message(error.message, "error"));
            }
          })
        : h("p", { class: "hint" }, "没有未读消息。"),
    ),
    status,
  );
  if (!(first.items || []).length) {
    add(content, empty(unreadOnly ? "没有未读消息。" : "暂无消息。"));
    return;
  }
  add(content, list, more);
  show(first, 1);
}
