// Charts for the statistics pages: bar and pie charts drawn as SVG that say what they show —
// role="img" with a <title> summarising every value, each bar and slice labelled with its value
// in text (never colour alone) — each with a data table beside it for screen readers and
// keyboard users. Colours are at least 3:1 against white (WCAG 1.4.11), text 4.5:1.

import { h, table, uid } from "../ui.js";

const NS = "http://www.w3.org/2000/svg";
// Dark enough on white for graphics and as text; neighbours differ in lightness as well as hue.
export const COLOURS = ["#0b4f96", "#a31515", "#1b5e20", "#7a4a00", "#5b2a86", "#00606b", "#8a1c5c", "#3d3d3d"];

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function short(text, n) {
  const t = String(text);
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

function number(v) {
  return Number(v || 0).toLocaleString("zh-CN");
}

function summary(title, labels, values) {
  return `${title}：${labels.map((l, i) => `${l} ${number(values[i])}`).join("，")}`;
}

function frame(title, labels, values, svg, kind) {
  const rows = labels.map((l, i) => [l, number(values[i])]);
  const total = values.reduce((a, b) => a + Number(b || 0), 0);
  if (kind === "pie" && labels.length) {
    rows.forEach((r, i) => r.push(total ? `${((Number(values[i]) / total) * 100).toFixed(1)}%` : "—"));
  }
  const headers = kind === "pie" ? ["项目", "数量", "占比"] : ["项目", "数量"];
  return h(
    "div",
    { class: "chart-pair" },
    h("div", { class: "chart" }, svg),
    table(`${title}（数据表）`, headers, rows.length ? rows : [[`暂无数据`, "0", ...(kind === "pie" ? ["—"] : [])]]),
  );
}

function empty(title, height = 60) {
  const id = uid("chart");
  return s(
    "svg",
    { viewBox: `0 0 400 ${height}`, role: "img", "aria-labelledby": id, class: "chart-svg" },
    s("title", { id }, `${title}：暂无数据`),
    s("text", { x: 200, y: height / 2 + 5, "text-anchor": "middle" }, "暂无数据"),
  );
}

/** A horizontal bar chart (long Chinese labels fit a phone): each bar with its value as text. */
export function barChart({ title, labels, values }) {
  const vals = values.map((v) => Number(v || 0));
  if (!labels.length) return frame(title, labels, vals, empty(title), "bar");
  const id = uid("chart");
  const row = 30;
  const left = 110;
  const width = 400;
  const room = width - left - 50;
  const max = Math.max(1, ...vals);
  const height = labels.length * row + 10;
  const bars = labels.map((label, i) => {
    const y = 5 + i * row;
    const w = Math.max(vals[i] ? 2 : 0, (vals[i] / max) * room);
    return s(
      "g",
      {},
      s("title", {}, `${label}：${number(vals[i])}`),
      s("text", { x: left - 6, y: y + row / 2 + 4, "text-anchor": "end" }, short(label, 8)),
      s("rect", { x: left, y: y + 4, width: w, height: row - 10, fill: COLOURS[i % COLOURS.length], rx: 2 }),
      s("text", { x: left + w + 4, y: y + row / 2 + 4, class: "chart-value" }, number(vals[i])),
    );
  });
  const svg = s(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": id, class: "chart-svg" },
    s("title", { id }, summary(title, labels, vals)),
    s("line", { x1: left, y1: 2, x2: left, y2: height - 2, stroke: "#4d4d4d" }),
    bars,
  );
  return frame(title, labels, vals, svg, "bar");
}

/** A pie chart: slices with white edges and a legend naming each slice, its value and share. */
export function pieChart({ title, labels, values }) {
  const vals = values.map((v) => Number(v || 0));
  const total = vals.reduce((a, b) => a + b, 0);
  if (!labels.length || !total) return frame(title, labels, vals, empty(title), "pie");
  const id = uid("chart");
  const cx = 95;
  const cy = 95;
  const r = 88;
  const legendRow = 24;
  const height = Math.max(190, labels.length * legendRow + 16);
  let angle = -Math.PI / 2;
  const slices = [];
  labels.forEach((label, i) => {
    if (!vals[i]) return;
    const share = vals[i] / total;
    const tip = s("title", {}, `${label}：${number(vals[i])}（${(share * 100).toFixed(1)}%）`);
    const fill = COLOURS[i % COLOURS.length];
    if (share >= 0.9999) {
      slices.push(s("circle", { cx, cy, r, fill, stroke: "#fff", "stroke-width": 2 }, tip));
      return;
    }
    const end = angle + share * 2 * Math.PI;
    const [x1, y1] = [cx + r * Math.cos(angle), cy + r * Math.sin(angle)];
    const [x2, y2] = [cx + r * Math.cos(end), cy + r * Math.sin(end)];
    const large = share > 0.5 ? 1 : 0;
    slices.push(s("path", { d: `M${cx},${cy} L${x1.toFixed(2)},${y1.toFixed(2)} A${r},${r} 0 ${large} 1 ${x2.toFixed(2)},${y2.toFixed(2)} Z`, fill, stroke: "#fff", "stroke-width": 2 }, tip));
    angle = end;
  });
  // The legend: a numbered swatch (the number also in the slice's legend text) and the value.
  const legend = labels.map((label, i) => {
    const y = 12 + i * legendRow;
    const share = `${((vals[i] / total) * 100).toFixed(0)}%`;
    return s(
      "g",
      {},
      s("rect", { x: 200, y, width: 14, height: 14, fill: COLOURS[i % COLOURS.length] }),
      s("text", { x: 220, y: y + 12 }, `${short(label, 7)} ${number(vals[i])}（${share}）`),
    );
  });
  const svg = s(
    "svg",
    { viewBox: `0 0 400 ${height}`, role: "img", "aria-labelledby": id, class: "chart-svg" },
    s("title", { id }, summary(title, labels, vals)),
    slices,
    legend,
  );
  return frame(title, labels, vals, svg, "pie");
}
