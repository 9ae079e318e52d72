// The materials of a draft: what each one is (from the guide), what is attached, and the four ways
// to attach: 本地上传, 从云盘选择 (my drive), 历史材料 (a file of an earlier case of mine) and
// 电子证照 (a licence of mine granted to this case, for a material the guide takes from one).
// Each change answers with the whole case, which `update(case)` hands back to the page.

import { del, get, post, upload } from "../api.js";
import { button, date, dialog, empty, fill, h, message } from "../ui.js";

const NECESSITY = { required: "必须提交", conditional: "依情形提交", optional: "选择提交" };
const TYPES = { pdf: "PDF", jpg: "JPG", png: "PNG", ofd: "OFD" };

export function size(bytes) {
  const n = Number(bytes) || 0;
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} B`;
}

/**
 * The materials section's list for case `c`; `guide` is the matter's guide (or null); `status`
 * (kept by the page across redraws) says what each action did.
 */
export function materialList(c, guide, update, status) {
  const byCode = new Map((guide?.materials || []).map((m) => [m.code, m]));
  const items = (c.materials || []).map((m) => materialCard(c, m, byCode.get(m.code), update, status));
  return items.length ? h("ul", { class: "materials" }, items) : empty("该事项无需提交申请材料。");
}

function materialCard(c, m, info, update, status) {
  const headingId = `mat-${m.code}`;
  const source = info?.source || "applicant";
  const needed = m.needed ? h("span", { class: "tag tag-warn" }, "必须提交") : h("span", { class: "tag" }, m.necessity === "conditional" ? "本情形无需提交" : NECESSITY[m.necessity] || "选择提交");
  const types = (info?.accepted_types?.length ? info.accepted_types : ["pdf", "jpg", "png"]).map((t) => TYPES[t] || t);
  const accept = types.map((t) => (t === "JPG" ? ".jpg,.jpeg" : `.${t.toLowerCase()}`)).join(",");
  const run = async (work, done) => {
    fill(status);
    try {
      update(await work());
      if (done) fill(status, message(done, "success"));
      // The card was drawn again: keep the keyboard where it was, on this material.
      const heading = document.getElementById(headingId);
      heading?.setAttribute("tabindex", "-1");
      heading?.focus();
    } catch (error) {
      fill(status, message(`${m.name}：${error.message}`, "error"));
    }
  };
  const files = (m.files || []).map((f) =>
    h(
      "li",
      { class: "attached" },
      h("span", { class: "file-name" }, f.file_name),
      h("span", { class: "hint" }, ` ${size(f.size)}`),
      button("删除", () => run(() => del(`/api/v1/cases/${c.id}/materials/${m.code}/files/${f.id}`), `已删除：${f.file_name}`), {
        class: "btn btn-danger",
        "aria-label": `删除 ${f.file_name}`,
      }),
    ),
  );
  const licence = m.licence?.licence_id
    ? h("p", { class: "attached" }, "已使用电子证照：", `${m.licence.type_name || ""} ${m.licence.identifier || ""}`.trim(), m.licence.granted_at ? `（${date(m.licence.granted_at)} 授权）` : "")
    : null;
  let ways;
  if (source === "government") {
    ways = h("p", { class: "hint" }, "由办理部门通过数据共享获取，无需提交。");
  } else if (source === "licence") {
    ways = h(
      "div",
      { class: "actions" },
      button("电子证照", () => pickLicence(c, m, info, run), { "aria-label": `${m.name}：使用电子证照`, "aria-haspopup": "dialog" }),
      h("p", { class: "hint" }, "该材料可直接使用您的电子证照（免提交），授权办理人员在办理期间查阅。"),
    );
  } else {
    const inputId = `file-${m.code}`;
    const input = h("input", { type: "file", id: inputId, class: "file-input", accept, "aria-describedby": `${headingId}-types` });
    input.addEventListener("change", () => {
      const file = input.files?.[0];
      if (!file) return;
      run(() => upload(`/api/v1/cases/${c.id}/materials/${m.code}`, file), `已上传：${file.name}`);
    });
    ways = h(
      "div",
      { class: "material-ways" },
      h("div", { class: "upload" }, h("label", { for: inputId }, "本地上传", h("span", { class: "visually-hidden" }, `：${m.name}`)), input),
      button("从云盘选择", () => pickDrive(c, m, run), { "aria-label": `${m.name}：从云盘选择`, "aria-haspopup": "dialog" }),
      button("历史材料", () => pickHistory(c, m, run), { "aria-label": `${m.name}：从历史材料选择`, "aria-haspopup": "dialog" }),
    );
  }
  return h(
    "li",
    { class: "card material" },
    h(
      "fieldset",
      { class: "field material-set" },
      h("legend", {}, h("h3", { id: headingId }, m.name)),
      h("p", { class: "material-need" }, needed),
    info?.condition ? h("p", { class: "hint" }, `提交情形：${info.condition}`) : null,
    info?.acceptance_standard ? h("p", { class: "hint" }, `受理标准：${info.acceptance_standard}`) : null,
    source !== "government" && source !== "licence" ? h("p", { class: "hint", id: `${headingId}-types` }, `支持 ${types.join("、")} 格式`) : null,
    h("p", { class: "field-error", "data-error-for": `materials.${m.code}` }),
    files.length ? h("ul", { class: "attached-list", "aria-label": `${m.name}已上传的文件` }, files) : null,
      licence,
      ways,
    ),
  );
}

async function pickDrive(c, m, run) {
  const list = h("div", {}, h("p", { class: "loading" }, "正在加载云盘…"));
  const d = dialog(`从云盘选择：${m.name}`, list);
  const show = async (folder) => {
    try {
      const drive = await get("/api/v1/me/drive", { folder });
      const up = drive.path?.length ? drive.path[drive.path.length - 2]?.id || "" : null;
      fill(
        list,
        drive.path?.length ? h("p", {}, "当前位置：我的云盘 / ", drive.path.map((p) => p.name).join(" / ")) : h("p", {}, "当前位置：我的云盘"),
        up !== null ? button("返回上级", () => show(up), { class: "btn btn-plain" }) : null,
        drive.items?.length
          ? h(
              "ul",
              { class: "pick-list" },
              drive.items.map((item) =>
                item.kind === "folder"
                  ? h("li", {}, button(`打开文件夹 ${item.name}`, () => show(item.id), { class: "btn btn-plain" }))
                  : h(
                      "li",
                      {},
                      h("span", { class: "file-name" }, item.name),
                      h("span", { class: "hint" }, ` ${size(item.size)}`),
                      button(`选择 ${item.name}`, () => {
                        d.close();
                        run(() => post(`/api/v1/cases/${c.id}/materials/${m.code}/from`, { drive_file_id: item.id }), `已从云盘添加：${item.name}`);
                      }, { class: "btn btn-primary" }),
                    ),
              ),
            )
          : empty("该文件夹中没有文件。可在“我的云盘”中上传。"),
      );
    } catch (error) {
      fill(list, message(error.message, "error"));
    }
  };
  show("");
}

async function pickHistory(c, m, run) {
  const list = h("div", {}, h("p", { class: "loading" }, "正在加载历史材料…"));
  const d = dialog(`从历史材料选择：${m.name}`, list);
  try {
    const mine = await get("/api/v1/me/cases", { page_size: 20 });
    const others = (mine.cases || []).filter((x) => x.id !== c.id).slice(0, 10);
    const details = await Promise.all(others.map((x) => get(`/api/v1/cases/${x.id}`).catch(() => null)));
    const groups = details
      .filter(Boolean)
      .map((k) => ({ k, files: (k.materials || []).flatMap((mm) => (mm.files || []).map((f) => ({ ...f, material: mm.name }))) }))
      .filter((g) => g.files.length);
    fill(
      list,
      groups.length
        ? groups.map(({ k, files }) =>
            h(
              "section",
              { class: "pick-group" },
              h("h3", {}, k.matter_name, h("span", { class: "hint" }, ` ${k.application_number || k.state_zh} · ${date(k.created_at)}`)),
              h(
                "ul",
                { class: "pick-list" },
                files.map((f) =>
                  h(
                    "li",
                    {},
                    h("span", { class: "file-name" }, f.file_name),
                    h("span", { class: "hint" }, ` ${f.material} · ${size(f.size)}`),
                    button(`选择 ${f.file_name}`, () => {
                      d.close();
                      run(() => post(`/api/v1/cases/${c.id}/materials/${m.code}/from`, { case_file_id: f.id }), `已从历史材料添加：${f.file_name}`);
                    }, { class: "btn btn-primary" }),
                  ),
                ),
              ),
            ),
          )
        : empty("您以往的办件中没有可引用的材料。"),
    );
  } catch (error) {
    fill(list, message(error.message, "error"));
  }
}

async function pickLicence(c, m, info, run) {
  const list = h("div", {}, h("p", { class: "loading" }, "正在加载电子证照…"));
  const d = dialog(`使用电子证照：${m.name}`, list);
  try {
    const mine = await get("/api/v1/me/licences", { page_size: 50 });
    const usable = (mine.items || []).filter((l) => (!info?.licence_type_code || l.type_code === info.licence_type_code) && l.state === "valid");
    fill(
      list,
      h("p", {}, "选择后，将授权办理此办件的工作人员在办理期间查阅该证照，您可在“我的证照”中随时撤销授权、查看查阅记录。"),
      usable.length
        ? h(
            "ul",
            { class: "pick-list" },
            usable.map((l) =>
              h(
                "li",
                {},
                h("span", { class: "file-name" }, l.type_name),
                h("span", { class: "hint" }, ` ${l.number || l.identifier || ""} · 有效期至 ${l.valid_until || "长期"}`),
                button(`使用 ${l.type_name}`, () => {
                  d.close();
                  const body = { case_id: c.id, material_code: m.code, purpose: `办理“${c.matter_name}”` };
                  run(async () => {
                    await post(`/api/v1/me/licences/${l.id}/grants`, body);
                    return get(`/api/v1/cases/${c.id}`);
                  }, `已使用电子证照：${l.type_name}`);
                }, { class: "btn btn-primary" }),
              ),
            ),
          )
        : empty("您没有可用于该材料的有效电子证照。"),
    );
  } catch (error) {
    fill(list, message(error.message, "error"));
  }
}
