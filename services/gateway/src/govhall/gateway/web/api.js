// The public gateway API, as any portal calls it: JSON in and out, problem+json errors, a bearer
// token from /api/v1/auth/login kept for this browser tab (sessionStorage), renewed once by the
// refresh token when an access token has expired.

const BASE = document.querySelector('meta[name="govhall-api"]')?.content || "";
const SESSION_KEY = "govhall.session";

/** An error answer: `status`, the problem's `code`, its Chinese `message` and per-field errors. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail_zh || problem?.title || `请求失败（${status}）`);
    this.status = status;
    this.code = problem?.code || "";
    this.problem = problem || {};
    // [{field, message, message_zh}] as the gateway names them (body fields, dotted for nested ones)
    this.fields = Array.isArray(problem?.errors) ? problem.errors : [];
  }
}

/** The signed-in session: {access_token, refresh_token, account} or null. */
export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
  } catch {
    return null;
  }
}

export function saveSession(tokens) {
  sessionStorage.setItem(
    SESSION_KEY,
    JSON.stringify({
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token || "",
      account: tokens.account,
    }),
  );
  window.dispatchEvent(new CustomEvent("govhall:session"));
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
  window.dispatchEvent(new CustomEvent("govhall:session"));
}

export function account() {
  return session()?.account || null;
}

export function isStaff() {
  return account()?.kind === "staff";
}

function url(path, query) {
  const u = new URL(BASE + path, window.location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) v.forEach((x) => u.searchParams.append(k, x));
    else u.searchParams.set(k, v);
  }
  return BASE ? u.toString() : u.pathname + u.search;
}

let refreshing = null;

async function refresh() {
  const s = session();
  if (!s?.refresh_token) return false;
  refreshing ??= fetch(url("/api/v1/auth/refresh"), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: s.refresh_token }),
  })
    .then(async (r) => {
      if (!r.ok) {
        clearSession();
        return false;
      }
      saveSession(await r.json());
      return true;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** New tokens for the same session, e.g. after 实名认证: a token carries the name it was issued
 * with, and cases and letters take the applicant's name from it. */
export function renewTokens() {
  return refresh();
}

/**
 * Call the API. Options: query (object), json (a body), form (FormData), auth (default: send the
 * token when signed in), token (another bearer, e.g. an enterprise's), raw (the Response itself).
 */
export async function api(method, path, options = {}) {
  const { query, json, form, raw = false } = options;
  const send = async () => {
    const headers = { Accept: "application/json, application/problem+json" };
    const token = options.token || (options.auth === false ? "" : session()?.access_token);
    if (token) headers.Authorization = `Bearer ${token}`;
    let body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    } else if (form !== undefined) {
      body = form;
    }
    if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
    return fetch(url(path, query), { method, headers, body });
  };
  let reply;
  try {
    reply = await send();
    if (reply.status === 401 && !options.token && options.auth !== false && (await refresh())) {
      reply = await send();
    }
  } catch {
    throw new ApiError(0, { detail_zh: "网络连接失败，请检查网络后重试", title: "Network error" });
  }
  if (!reply.ok) {
    let problem = null;
    try {
      problem = await reply.json();
    } catch {
      problem = null;
    }
    if (reply.status === 401 && !options.token && options.auth !== false) clearSession();
    throw new ApiError(reply.status, problem);
  }
  if (raw) return reply;
  if (reply.status === 204) return null;
  const type = reply.headers.get("Content-Type") || "";
  return type.includes("json") ? reply.json() : reply.blob();
}

export const get = (path, query, options = {}) => api("GET", path, { ...options, query });
export const post = (path, json, options = {}) => api("POST", path, { ...options, json });
export const put = (path, json, options = {}) => api("PUT", path, { ...options, json });
export const patch = (path, json, options = {}) => api("PATCH", path, { ...options, json });
export const del = (path, options = {}) => api("DELETE", path, options);

/** Upload one file as multipart `file` (plus any other fields). */
export function upload(path, file, fields = {}, options = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append("file", file);
  return api("POST", path, { ...options, form });
}

/** The URL of an API resource (for <img src>, e.g. a QR code). */
export function apiUrl(path, query) {
  return url(path, query);
}

/** Fetch a protected file with the token and hand it to the browser as a download. */
export async function download(path, filename, options = {}) {
  const reply = await api(options.method || "GET", path, { ...options, raw: true });
  const blob = await reply.blob();
  const name = filename || fileNameOf(reply) || "download";
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  return name;
}

function fileNameOf(reply) {
  const disposition = reply.headers.get("Content-Disposition") || "";
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (star) return decodeURIComponent(star[1]);
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  return plain ? plain[1] : "";
}
