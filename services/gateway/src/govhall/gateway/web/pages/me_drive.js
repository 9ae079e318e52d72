// 我的云盘: a folder's folders and files (?folder=), the path to it, my usage against the quota;
// create a folder, upload, rename, move, delete (asked first) and download.

import { del, download, get, patch, post, upload } from "../api.js";
import { button, empty, field, h, link, message, onSubmit, table, time } from "../ui.js";
import { mySpace } from "./layout.js";
import { bytes, confirmAction, formDialog, pageLinks, pageOf, reload, statusArea, addTo } from "./me_common.js";

const PAGE_SIZE = 50;
const ACCEPT = ".pdf,.jpg,.jpeg,.png,.ofd,application/pdf,image/jpeg,image/png";

const here = (folder) => (folder ? `/me/drive?folder=${encodeURIComponent(folder)}` : "/me/drive");

export async function render(view) {
  const content = mySpace(view, "drive", "我的云盘");
  const folder = view.query.get("folder") || "";
  const page = pageOf(view);
  const body = await get("/api/v1/me/drive", { folder, page, page_size: PAGE_SIZE });
  const status = statusArea();
  const flash = sessionStorage.getItem("govhall.drive.flash");
  if (flash) {
    sessionStorage.removeItem("govhall.drive.flash");
    status.append(message(flash, "success"));
  }
  const path = body.path || [];
  const parent = path.length > 1 ? path[path.length - 2].id : "";
  const done = (text) => {
    sessionStorage.setItem("govhall.drive.flash", text);
    reload(view);
  };
  const fail = (error) => status.replaceChildren(message(error.message, "error"));
  addTo(
    content,
    usage(body.usage || {}),
    breadcrumbs(path),
    status,
    h(
      "div",
      { class: "actions" },
      button("新建文件夹", () =>
        formDialog("新建文件夹", [field({ name: "name", label: "文件夹名称", required: true, attrs: { maxlength: 120 } })], "创建", async (v) => {
          if (!v.name.trim()) throw { name: "请填写文件夹名称" };
          await post("/api/v1/me/drive/folders", { parent_id: folder, name: v.name.trim() });
          done(`已创建文件夹“${v.name.trim()}”。`);
        }),
      ),
    ),
    uploadForm(folder, done),
    listing(body.items || [], { folder, parent, done, fail }),
    pageLinks(view, page, body.page?.total, PAGE_SIZE),
  );
}

function usage(u) {
  const used = Number(u.used_bytes) || 0;
  const quota = Number(u.quota_bytes) || 0;
  const text = quota ? `已用 ${bytes(used)}，共 ${bytes(quota)}（${Math.min(100, Math.round((used / quota) * 100))}%）` : `已用 ${bytes(used)}`;
  return h(
    "div",
    { class: "drive-usage" },
    h("label", { for: "drive-usage-bar" }, "云盘空间："),
    h("span", {}, text),
    quota ? h("progress", { id: "drive-usage-bar", max: quota, value: Math.min(used, quota), "aria-valuetext": text }, text) : null,
  );
}

function breadcrumbs(path) {
  const crumbs = [["", "我的云盘"], ...path.map((p) => [p.id, p.name])];
  return h(
    "nav",
    { class: "breadcrumbs", "aria-label": "当前位置" },
    h(
      "ol",
      {},
      crumbs.map(([id, name], i) =>
        h("li", {}, i === crumbs.length - 1 ? h("span", { "aria-current": "location" }, name) : link(here(id), name)),
      ),
    ),
  );
}

function uploadForm(folder, done) {
  const form = h(
    "form",
    { class: "form drive-upload", novalidate: true },
    field({ name: "file", label: "上传文件", type: "file", required: true, hint: "PDF、JPG、PNG 或 OFD，按文件内容校验", attrs: { accept: ACCEPT } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "上传")),
  );
  onSubmit(form, async () => {
    const file = form.querySelector('input[type="file"]').files[0];
    if (!file) throw { file: "请选择要上传的文件" };
    await upload("/api/v1/me/drive/files", file, { folder });
    done(`已上传“${file.name}”。`);
  });
  return form;
}

function listing(items, ctx) {
  if (!items.length) return empty("此文件夹为空。");
  const folders = items.filter((i) => i.kind === "folder");
  return table(
    "文件夹和文件",
    ["名称", "类型", "大小", "修改时间", "操作"],
    items.map((item) => [
      item.kind === "folder" ? link(here(item.id), item.name) : item.name,
      item.kind === "folder" ? "文件夹" : kindOf(item),
      item.kind === "folder" ? "—" : bytes(item.size),
      time(item.updated_at || item.created_at),
      h("div", { class: "row-actions" }, actions(item, folders, ctx)),
    ]),
  );
}

function kindOf(item) {
  const t = item.media_type || "";
  if (t.includes("pdf")) return "PDF 文件";
  if (t.startsWith("image/")) return "图片";
  if (t.includes("ofd")) return "OFD 文件";
  return "文件";
}

function actions(item, folders, { folder, parent, done, fail }) {
  const url = `/api/v1/me/drive/items/${encodeURIComponent(item.id)}`;
  const out = [];
  if (item.kind === "file") {
    out.push(
      button("下载", async () => {
        try {
          await download(`/api/v1/me/drive/files/${encodeURIComponent(item.id)}`, item.name);
        } catch (error) {
          fail(error);
        }
      }, { "aria-label": `下载 ${item.name}` }),
    );
  }
  out.push(
    button("重命名", () =>
      formDialog(`重命名“${item.name}”`, [field({ name: "name", label: "新名称", required: true, value: item.name, attrs: { maxlength: 120 } })], "保存", async (v) => {
        if (!v.name.trim()) throw { name: "请填写新名称" };
        await patch(url, { name: v.name.trim(), revision: Number(item.revision) || 0 });
        done(`已重命名为“${v.name.trim()}”。`);
      }),
    { "aria-label": `重命名 ${item.name}` }),
  );
  const targets = [
    ...(folder ? [[parent || "root", parent ? "上一级文件夹" : "我的云盘（根目录）"]] : []),
    ...folders.filter((f) => f.id !== item.id).map((f) => [f.id, f.name]),
  ];
  if (targets.length) {
    out.push(
      button("移动", () =>
        formDialog(`移动“${item.name}”`, [field({ name: "parent_id", label: "移动到", type: "select", required: true, options: targets })], "移动", async (v) => {
          await patch(url, { parent_id: v.parent_id, revision: Number(item.revision) || 0 });
          done(`已移动“${item.name}”。`);
        }),
      { "aria-label": `移动 ${item.name}` }),
    );
  }
  out.push(
    button("删除", async () => {
      const what = item.kind === "folder" ? `文件夹“${item.name}”及其中的全部内容` : `文件“${item.name}”`;
      if (!(await confirmAction("确认删除", `确定删除${what}吗？删除后不能恢复。`, "确认删除"))) return;
      try {
        await del(url);
        done(`已删除“${item.name}”。`);
      } catch (error) {
        fail(error);
      }
    }, { class: "btn btn-danger", "aria-label": `删除 ${item.name}` }),
  );
  return out;
}
