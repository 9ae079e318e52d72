// 办事指南 (the guide QR code's target): every element of a matter's guide as seen from a site,
// its QR code, and what a visitor can do: 在线申报, 预约办理, 我要咨询, 收藏 and 纠错.

import { apiUrl, del, get, post, put, session } from "../api.js";
import { signIn } from "../app.js";
import { button, date, dialog, field, fill, h, message, onSubmit } from "../ui.js";
import { add, consultHref, searchBox } from "./browse_common.js";
import { basics, faqs, fees, materials, places, process, text } from "./guide_sections.js";

const enc = encodeURIComponent;
const ELEMENTS = [
  ["conditions", "受理条件"],
  ["materials", "申请材料"],
  ["fees", "收费标准"],
  ["time_limits", "办理时限"],
  ["places", "办理地点和时间"],
  ["phones", "咨询电话"],
  ["other", "其他"],
];

export async function render(view) {
  const { site, code } = view.params;
  const base = `/api/v1/sites/${enc(site)}/matters/${enc(code)}`;
  let m;
  try {
    m = await get(base, {}, { auth: false });
  } catch (error) {
    if (error.status === 404 || error.status === 400) return notFound(view, code);
    throw error;
  }
  view.title(`${m.name} - 办事指南`);
  const faqList = await get(`/api/v1/sites/${enc(site)}/faqs`, { matter: code, page_size: 20 }, { auth: false }).catch(() => ({ items: [] }));
  const status = h("div", { class: "guide-status", "aria-live": "polite" });

  const favourite = h("button", { type: "button", class: "btn", "aria-pressed": "false" }, "收藏");
  const setKept = (kept) => {
    favourite.setAttribute("aria-pressed", kept ? "true" : "false");
    favourite.textContent = kept ? "取消收藏" : "收藏";
  };
  if (session()) {
    get("/api/v1/me/favourites", { page_size: 100 })
      .then((body) => setKept((body.items || []).some((f) => f.matter_code === m.code && [site, m.site_code].includes(f.site_code))))
      .catch(() => {});
  }
  favourite.addEventListener("click", async () => {
    if (!session()) return askToSignIn("收藏事项");
    const kept = favourite.getAttribute("aria-pressed") === "true";
    favourite.disabled = true;
    try {
      if (kept) await del(`/api/v1/me/favourites/${enc(site)}/${enc(m.code)}`);
      else await put(`/api/v1/me/favourites/${enc(site)}/${enc(m.code)}`, {});
      setKept(!kept);
      fill(status, message(kept ? "已取消收藏。" : "已收藏，可在“我的空间 - 我的收藏”中查看。", "success"));
    } catch (error) {
      fill(status, message(error.message, "error"));
    } finally {
      favourite.disabled = false;
    }
  });

  const actions = h(
    "div",
    { class: "actions guide-actions" },
    m.online_application ? h("a", { class: "btn btn-primary", href: `/apply/${enc(site)}/${enc(m.code)}` }, "在线申报") : null,
    m.appointment ? h("a", { class: "btn btn-primary", href: `/book/${enc(site)}/${enc(m.code)}` }, "预约办理") : null,
    h("a", { class: "btn", href: consultHref(site, m.code, `关于“${m.name}”的咨询`.slice(0, 50)) }, "我要咨询"),
    favourite,
    button("纠错", () => reportError(site, m, status), { "aria-haspopup": "dialog" }),
    button("打印指南", () => window.print(), { class: "btn btn-plain" }),
  );
  const qr = h(
    "figure",
    { class: "guide-qr" },
    h("img", { src: apiUrl(`${base}/qrcode.svg`), alt: `“${m.name}”办事指南二维码，手机扫码可查看本页`, width: 160, height: 160 }),
    h("figcaption", {}, "手机扫码查看本指南"),
  );
  const toc = [
    ["g-basic", "基本信息"],
    ["g-conditions", "受理条件", m.guide?.acceptance_conditions],
    ["g-materials", "申请材料"],
    ["g-fees", "收费标准"],
    ["g-process", "办理流程"],
    ["g-places", "办理地点"],
    ["g-basis", "设定依据", m.guide?.legal_basis],
    ["g-notice", "申报须知", m.guide?.notice],
    ["g-faqs", "常见问题"],
  ].filter((x) => x.length < 3 || x[2]);

  add(view.main, 
    h("p", { class: "crumbs" }, h("a", { href: "/" }, "首页"), " / ", h("a", { href: "/matters" }, "办事事项"), " / 办事指南"),
    h("h1", {}, m.name),
    h("p", { class: "matter-meta" }, [m.site_name, m.department_name, `事项编码 ${m.code}`, m.published_at ? `${date(m.published_at)} 发布` : ""].filter(Boolean).join(" · ")),
    m.status && m.status !== "published" ? message("该事项当前不可办理。", "error") : null,
    h("div", { class: "guide-top" }, h("div", {}, actions, status), qr),
    h("nav", { class: "toc", "aria-label": "指南目录" }, h("ul", {}, toc.map(([id, t]) => h("li", {}, h("a", { href: `#${id}` }, t))))),
    basics(m),
    text("g-conditions", "受理条件", m.guide?.acceptance_conditions),
    materials(m),
    fees(m),
    process(m),
    text("g-special", "特别程序", m.guide?.special_procedure),
    places(m),
    text("g-basis", "设定依据", m.guide?.legal_basis),
    text("g-notice", "申报须知", m.guide?.notice),
    faqs(faqList.items || [], site),
  );
}

function notFound(view, code) {
  view.title("没有找到该事项");
  add(view.main, 
    h("h1", {}, "没有找到该事项"),
    message(`没有找到编码为“${code}”的事项，它可能已停止办理、尚未发布，或不属于当前站点。`, "error"),
    h("p", {}, "您可以搜索事项名称，或", h("a", { href: "/matters" }, "按分类浏览"), "。"),
    searchBox(view, { label: "搜索事项" }),
  );
}

function askToSignIn(what) {
  const go = button("去登录", () => {
    d.close();
    signIn();
  }, { class: "btn btn-primary" });
  const d = dialog("请先登录", h("p", {}, `${what}需要先登录。登录后将回到本页。`), h("div", { class: "actions" }, go, button("取消", () => d.close())));
  go.focus();
}

/** 纠错: which element of the guide is wrong and what, sent to the matter's site. */
function reportError(site, m, status) {
  if (!session()) return askToSignIn("纠错");
  const form = h(
    "form",
    { class: "form", novalidate: true },
    h("p", {}, `您认为“${m.name}”的办事指南哪里有误？我们会核实后修正，并在“我的纠错”中答复您。`),
    field({ name: "element", label: "有误的内容", type: "select", required: true, value: "materials", options: ELEMENTS }),
    field({ name: "content", label: "具体说明", type: "textarea", required: true, hint: "请说明哪里有误、正确的应是什么（不超过 1000 字）。", attrs: { maxlength: 1000 } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "提交纠错")),
  );
  const d = dialog("指南纠错", form);
  onSubmit(form, async (values) => {
    if (!values.content.trim()) throw { content: "请填写具体说明" };
    await post(`/api/v1/sites/${enc(site)}/matters/${enc(m.code)}/error-reports`, { element: values.element, content: values.content.trim() });
    d.close();
    fill(status, message("纠错已提交，感谢您的反馈。处理结果可在“我的空间 - 我的纠错”中查看。", "success"));
  });
  form.querySelector("select")?.focus();
}
