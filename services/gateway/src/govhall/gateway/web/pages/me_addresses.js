// 收件地址: my delivery addresses (mobile numbers masked as the API gives them); add, edit (the
// mobile number entered again), delete (asked first), the default one marked.

import { del, get, post, put } from "../api.js";
import { homeSite } from "../app.js";
import { button, empty, facts, field, fill, h, message, onSubmit } from "../ui.js";
import { mySpace } from "./layout.js";
import { confirmAction, reload, statusArea, tag, addTo } from "./me_common.js";

const FLASH = "govhall.addresses.flash";

export async function render(view) {
  const content = mySpace(view, "addresses", "收件地址");
  const addresses = await get("/api/v1/me/addresses");
  const status = statusArea();
  const flash = sessionStorage.getItem(FLASH);
  if (flash) {
    sessionStorage.removeItem(FLASH);
    status.append(message(flash, "success"));
  }
  const done = (text) => {
    sessionStorage.setItem(FLASH, text);
    reload(view);
  };
  const editor = h("section", { class: "me-section", "aria-labelledby": "address-form-title" });
  const openEditor = (address) => {
    fill(editor, h("h2", { id: "address-form-title" }, address ? "编辑地址" : "新增地址"), addressForm(address, done, () => showAdd()));
    editor.querySelector("input")?.focus();
  };
  const showAdd = () => openEditor(null);
  addTo(
    content,
    status,
    addresses.length
      ? h(
          "ul",
          { class: "cards me-list" },
          addresses.map((a) =>
            h(
              "li",
              { class: "card" },
              h("h2", { class: "card-title" }, a.recipient, " ", a.is_default ? tag("默认地址", "ok") : null),
              facts([
                ["手机号", a.mobile],
                ["所在地区", [a.province_name, a.city_name, a.county_name].filter(Boolean).join(" ")],
                ["详细地址", a.detail],
                ["邮政编码", a.postal_code],
              ]),
              h(
                "div",
                { class: "actions" },
                button("编辑", () => openEditor(a), { "aria-label": `编辑 ${a.recipient} 的地址` }),
                button(
                  "删除",
                  async () => {
                    if (!(await confirmAction("删除地址", `确定删除 ${a.recipient} 的地址“${a.detail}”吗？`, "确认删除"))) return;
                    try {
                      await del(`/api/v1/me/addresses/${encodeURIComponent(a.id)}`);
                      done("地址已删除。");
                    } catch (error) {
                      status.replaceChildren(message(error.message, "error"));
                    }
                  },
                  { class: "btn btn-danger", "aria-label": `删除 ${a.recipient} 的地址` },
                ),
              ),
            ),
          ),
        )
      : empty("您还没有收件地址。办件结果选择邮寄送达时会用到。"),
    editor,
  );
  showAdd();
}

async function children(code) {
  try {
    return (await get(`/api/v1/sites/${encodeURIComponent(code)}/children`, {}, { auth: false })).items || [];
  } catch {
    return [];
  }
}

/** The form for a new address (address null) or an edited one. */
function addressForm(address, done, cancel) {
  const province = address ? `${address.county_code.slice(0, 2)}0000` : homeSite();
  const cityField = field({ name: "city_code", label: "所在市", type: "select", required: true, options: [["", "正在加载…"]] });
  const countyField = field({ name: "county_code", label: "所在区县", type: "select", required: true, options: [["", "请先选择市"]] });
  const city = cityField.querySelector("select");
  const county = countyField.querySelector("select");
  const loadCounties = async (cityCode, chosen = "") => {
    if (!cityCode) return fill(county, h("option", { value: "" }, "请先选择市"));
    const kids = await children(cityCode);
    fill(county, h("option", { value: "" }, "请选择区县"), kids.map((k) => h("option", { value: k.code, selected: k.code === chosen }, k.name)));
  };
  (async () => {
    const cities = await children(province);
    const chosenCity = address ? `${address.county_code.slice(0, 4)}00` : "";
    fill(city, h("option", { value: "" }, "请选择市"), cities.map((k) => h("option", { value: k.code, selected: k.code === chosenCity }, k.name)));
    if (chosenCity) await loadCounties(chosenCity, address.county_code);
  })();
  city.addEventListener("change", () => loadCounties(city.value));
  const form = h(
    "form",
    { class: "form", novalidate: true },
    field({ name: "recipient", label: "收件人", required: true, value: address?.recipient, attrs: { autocomplete: "name", maxlength: 60 } }),
    field({
      name: "mobile",
      label: "收件人手机号",
      type: "tel",
      required: true,
      hint: address ? `当前为 ${address.mobile}，为保护隐私，修改时请重新填写完整手机号` : null,
      attrs: { autocomplete: "tel", inputmode: "tel", maxlength: 20 },
    }),
    cityField,
    countyField,
    field({ name: "detail", label: "详细地址", required: true, value: address?.detail, hint: "街道、门牌号、楼栋和房间号", attrs: { autocomplete: "street-address", maxlength: 200 } }),
    field({ name: "postal_code", label: "邮政编码", value: address?.postal_code, attrs: { inputmode: "numeric", autocomplete: "postal-code", maxlength: 6 } }),
    field({ name: "is_default", label: "设为默认地址", type: "checkbox", value: address?.is_default }),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "btn btn-primary" }, address ? "保存地址" : "添加地址"),
      address ? button("取消编辑", cancel) : null,
    ),
  );
  onSubmit(form, async (v) => {
    const problems = {};
    if (!v.city_code) problems.city_code = "请选择所在市";
    if (!v.county_code) problems.county_code = "请选择所在区县";
    if (Object.keys(problems).length) throw problems;
    const body = {
      recipient: v.recipient.trim(),
      mobile: v.mobile.trim(),
      county_code: v.county_code,
      detail: v.detail.trim(),
      postal_code: v.postal_code.trim(),
      is_default: !!v.is_default,
    };
    if (address) await put(`/api/v1/me/addresses/${encodeURIComponent(address.id)}`, body);
    else await post("/api/v1/me/addresses", body);
    done(address ? "地址已保存。" : "地址已添加。");
  });
  return form;
}
