// The portal's frame: the header (site, search, sign-in state, 长辈版), the navigation, and the
// router that loads each page's module (pages/<name>.js) into <main>.

import { account, clearSession, get, isStaff, post, session } from "./api.js";
import { button, dialog, fill, h, message } from "./ui.js";

const HOME_SITE = document.querySelector('meta[name="govhall-home-site"]')?.content || "420000";
const SITE_KEY = "govhall.site";
const ELDER_KEY = "govhall.elder";

// [pattern, page module, who may open it]: "citizen" needs a signed-in person or enterprise,
// "staff" a staff member; the gateway's PAGES (portal.py) lists the first segments.
const ROUTES = [
  ["/", "home"],
  ["/search", "search"],
  ["/matters", "matters"],
  ["/guide/:site/:code", "guide"],
  ["/articles/:site/:id", "article"],
  ["/qa", "qa"],
  ["/apply/case/:caseId", "apply_case", "citizen"],
  ["/apply/:site/:code", "apply", "citizen"],
  ["/book/:site/:code", "book", "citizen"],
  ["/consult/new", "consult_new"],
  ["/login", "login"],
  ["/register", "register"],
  ["/forgot", "forgot"],
  ["/query/case", "query_case"],
  ["/query/letter", "query_letter"],
  ["/verify/notice/:documentId", "verify_notice"],
  ["/verify/licence", "verify_licence"],
  ["/me", "me_home", "citizen"],
  ["/me/cases", "me_cases", "citizen"],
  ["/me/cases/:caseId", "me_case", "citizen"],
  ["/me/appointments", "me_appointments", "citizen"],
  ["/me/appointments/:booking", "me_appointment", "citizen"],
  ["/me/consultations", "me_consultations", "citizen"],
  ["/me/consultations/:letterId", "me_consultation", "citizen"],
  ["/me/messages", "me_messages", "citizen"],
  ["/me/favourites", "me_favourites", "citizen"],
  ["/me/error-reports", "me_error_reports", "citizen"],
  ["/me/licences", "me_licences", "citizen"],
  ["/me/licences/:licenceId", "me_licence", "citizen"],
  ["/me/drive", "me_drive", "citizen"],
  ["/me/addresses", "me_addresses", "citizen"],
  ["/me/security", "me_security", "citizen"],
  ["/me/enterprises", "me_enterprises", "citizen"],
  ["/staff", "staff_home", "staff"],
  ["/staff/queue", "staff_queue", "staff"],
  ["/staff/cases/:caseId", "staff_case", "staff"],
  ["/staff/supervision", "staff_supervision", "staff"],
  ["/staff/letters", "staff_letters", "staff"],
  ["/staff/letters/:letterId", "staff_letter", "staff"],
  ["/staff/halls", "staff_halls", "staff"],
  ["/staff/statistics", "staff_statistics", "staff"],
  ["/staff/error-reports", "staff_error_reports", "staff"],
].map(([pattern, page, who]) => ({
  pattern,
  page,
  who,
  regex: new RegExp(`^${pattern.replace(/:[a-zA-Z]+/g, "([^/]+)")}/?$`),
  keys: [...pattern.matchAll(/:([a-zA-Z]+)/g)].map((m) => m[1]),
}));

export const SITE_NAMES = new Map();

/** The site the visitor is at: their choice, else the portal's home site. */
export function currentSite() {
  return localStorage.getItem(SITE_KEY) || HOME_SITE;
}

export function homeSite() {
  return HOME_SITE;
}

export async function setSite(code) {
  localStorage.setItem(SITE_KEY, code);
  await renderHeader();
}

export async function siteName(code) {
  if (!SITE_NAMES.has(code)) {
    try {
      const body = await get(`/api/v1/sites/${encodeURIComponent(code)}`, {}, { auth: false });
      SITE_NAMES.set(code, body.name || code);
    } catch {
      return code;
    }
  }
  return SITE_NAMES.get(code);
}

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState({}, "", path);
  else history.pushState({}, "", path);
  route();
}

/** Send the visitor to sign in, coming back here afterwards. */
export function signIn() {
  navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
}

function applyElder() {
  const on = localStorage.getItem(ELDER_KEY) === "1";
  document.documentElement.classList.toggle("elder", on);
  return on;
}

async function renderHeader() {
  const header = document.getElementById("site-header");
  const site = currentSite();
  const name = await siteName(site);
  const me = account();
  const elder = applyElder();
  const search = h(
    "form",
    { class: "header-search", role: "search", action: "/search" },
    h("label", { for: "header-q", class: "visually-hidden" }, "搜索事项"),
    h("input", { id: "header-q", name: "q", type: "search", placeholder: "搜索事项、办事指南", autocomplete: "off" }),
    h("button", { type: "submit", class: "btn btn-primary" }, "搜索"),
  );
  search.addEventListener("submit", (e) => {
    e.preventDefault();
    const q = search.q.value.trim();
    if (q) navigate(`/search?q=${encodeURIComponent(q)}`);
  });
  fill(
    header,
    h(
      "div",
      { class: "header-inner" },
      h("a", { class: "brand", href: "/" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, "政"), h("span", {}, `${name}政务服务网`)),
      // On a phone the site's name is left to the brand beside it (still in the button's name).
      button([h("span", {}, "切换站点"), h("span", { class: "site-switch-name" }, `（${name}）`)], openSiteSwitch, { class: "btn btn-plain site-switch", "aria-haspopup": "dialog" }),
      search,
      h(
        "div",
        { class: "header-account" },
        button(elder ? "标准版" : "长辈版", toggleElder, { class: "btn btn-plain", "aria-pressed": elder ? "true" : "false", title: "大字体、高对比度的长辈版" }),
        me
          ? [
              h("span", { class: "who" }, `您好，${me.name || me.username || "用户"}`),
              h("a", { href: isStaff() ? "/staff" : "/me", class: "btn btn-plain" }, isStaff() ? "工作台" : "我的空间"),
              button("退出", logout, { class: "btn btn-plain" }),
            ]
          : [h("a", { href: "/login", class: "btn btn-plain" }, "登录"), h("a", { href: "/register", class: "btn btn-primary" }, "注册")],
      ),
    ),
  );
  renderNav();
}

async function renderNav() {
  const nav = document.getElementById("site-nav");
  const here = location.pathname;
  const item = (href, text, extra) =>
    h("li", {}, h("a", { href, "aria-current": here === href || (href !== "/" && here.startsWith(href + "/")) ? "page" : null }, text, extra || null));
  const badge = h("span", { class: "badge", id: "unread-badge", hidden: true });
  fill(
    nav,
    h(
      "ul",
      {},
      item("/", "首页"),
      item("/matters?audience=person", "个人办事"),
      item("/matters?audience=legal_person", "法人办事"),
      item("/qa", "咨询公开"),
      item("/consult/new", "我要咨询"),
      item("/query/case", "办件查询"),
      session() && !isStaff() ? item("/me/messages", "消息", badge) : null,
      isStaff() ? item("/staff", "工作台") : item("/me", "我的空间"),
    ),
  );
  if (session() && !isStaff()) {
    try {
      const { unread: count } = await get("/api/v1/me/messages/unread-count");
      badge.hidden = !count;
      badge.textContent = count ? `${count}` : "";
      badge.setAttribute("aria-label", `${count} 条未读`);
    } catch {
      badge.hidden = true;
    }
  }
}

/** Refresh the unread count in the navigation (after reading messages). */
export function refreshUnread() {
  renderNav();
}

function toggleElder() {
  localStorage.setItem(ELDER_KEY, applyElder() ? "0" : "1");
  applyElder();
  renderHeader();
}

async function logout() {
  try {
    await post("/api/v1/auth/logout", { refresh_token: session()?.refresh_token || "" });
  } catch {
    // the tokens are forgotten here whatever the gateway says
  }
  clearSession();
  navigate("/");
}

async function openSiteSwitch() {
  const list = h("div", { class: "site-list" }, h("p", { class: "loading" }, "正在加载站点…"));
  const d = dialog("切换站点", h("p", {}, "选择您所在的省、市或区县，查看当地的办事服务。"), list);
  const show = async (code) => {
    try {
      const [self, children] = await Promise.all([
        get(`/api/v1/sites/${code}`, {}, { auth: false }),
        get(`/api/v1/sites/${code}/children`, {}, { auth: false }),
      ]);
      const site = self;
      const kids = children.items || [];
      const choose = (c, n) =>
        button(n, async () => {
          SITE_NAMES.set(c, n);
          d.close();
          await setSite(c);
          route();
        }, { class: "btn btn-site" });
      fill(
        list,
        code !== HOME_SITE && site.parent_code ? button("返回上级", () => show(site.parent_code), { class: "btn btn-plain" }) : null,
        h("h3", {}, site.name),
        choose(site.code, `进入${site.name}`),
        kids.length ? h("h3", {}, "下级站点") : null,
        h(
          "ul",
          { class: "site-grid" },
          kids.map((k) => h("li", {}, choose(k.code, k.name), !String(k.level).toLowerCase().includes("county") ? button("下级", () => show(k.code), { class: "btn btn-plain", "aria-label": `${k.name}的下级站点` }) : null)),
        ),
      );
    } catch (error) {
      fill(list, message(error.message, "error"));
    }
  };
  show(HOME_SITE);
}

function match(path) {
  for (const r of ROUTES) {
    const m = r.regex.exec(path);
    if (m) return { route: r, params: Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(m[i + 1])])) };
  }
  return null;
}

let generation = 0;

/** Render the page for the current address. */
export async function route() {
  const mine = ++generation;
  const main = document.getElementById("main");
  const found = match(location.pathname);
  renderNav();
  if (!found) {
    fill(main, h("h1", {}, "页面不存在"), message("您访问的页面不存在。", "error"), h("p", {}, h("a", { href: "/" }, "返回首页")));
    document.title = "页面不存在 - 政务服务网";
    return;
  }
  const { route: r, params } = found;
  if (r.who && !session()) {
    signIn();
    return;
  }
  if (r.who === "staff" && !isStaff()) {
    fill(main, h("h1", {}, "工作台"), message("工作台仅供工作人员使用，请使用工作人员账号登录。", "error"));
    return;
  }
  fill(main, h("p", { class: "loading", role: "status" }, "正在加载…"));
  let page;
  try {
    page = await import(`./pages/${r.page}.js`);
  } catch {
    fill(main, h("h1", {}, "页面建设中"), message("该页面正在建设中。", "info"));
    return;
  }
  if (mine !== generation) return;
  // The page's container; its append() skips null/false as h() does (a page may append a part
  // that is there only sometimes; the DOM's own append would write "null").
  const container = h("div", { class: "page" });
  const nativeAppend = container.append.bind(container);
  container.append = (...kids) => nativeAppend(...kids.flat(Infinity).filter((k) => k !== null && k !== undefined && k !== false));
  const view = {
    main: container,
    params,
    query: new URLSearchParams(location.search),
    site: currentSite(),
    navigate,
    title: (text) => {
      document.title = `${text} - 政务服务网`;
    },
  };
  try {
    await page.render(view);
  } catch (error) {
    fill(view.main, h("h1", {}, "出错了"), message(error?.status === 404 ? "没有找到该内容，或您无权查看。" : error?.message || "页面加载失败，请稍后再试。", "error"));
  }
  if (mine !== generation) return;
  fill(main, view.main);
  // A new page: tell assistive technology by moving focus to its heading.
  const heading = main.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
  window.scrollTo(0, 0);
}

// Links inside the portal change the page without a reload; downloads and the API do not.
document.addEventListener("click", (event) => {
  const a = event.target.closest?.("a[href]");
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const href = a.getAttribute("href");
  if (!href.startsWith("/") || href.startsWith("//") || href.startsWith("/api/") || href.startsWith("/portal/") || a.hasAttribute("download") || a.target) return;
  event.preventDefault();
  navigate(href);
});
window.addEventListener("popstate", route);
window.addEventListener("govhall:session", renderHeader);

// A sub-site links to the portal as /?site=<code>: its visitors start at their own site.
const linkedSite = location.pathname === "/" ? new URLSearchParams(location.search).get("site") : null;
if (linkedSite && /^\d{6}$/.test(linkedSite)) localStorage.setItem(SITE_KEY, linkedSite);

applyElder();
renderHeader();
route();
