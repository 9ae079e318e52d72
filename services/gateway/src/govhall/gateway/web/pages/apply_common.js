// What the applying pages share: the steps bar and where the accepted 申报须知 is remembered
// between /apply/{site}/{code} and /apply/case/{id} (this tab only).

import { h } from "../ui.js";

export const NOTICE_KEY = "govhall.notice-read.";

/** An ordered list of the steps with the current one marked (aria-current="step"). */
export function stepsBar(labels, current) {
  return h(
    "ol",
    { class: "steps-bar", "aria-label": "申报步骤" },
    labels.map((text, i) =>
      h("li", { class: i < current ? "done" : i === current ? "current" : "", "aria-current": i === current ? "step" : null }, h("span", { class: "step-no" }, `${i + 1}`), " ", text, i < current ? h("span", { class: "visually-hidden" }, "（已完成）") : null),
    ),
  );
}
