// Shared pieces of the pages: state badges, the states of a page (loading, empty, error), the
// confirmation dialog, and the announcer that screen readers hear.

import { h, replace } from "./dom.js";
import { stateLabel } from "./format.js";

export function stateBadge(state) {
  return h("span", { class: ["badge", `state-${String(state).toLowerCase()}`], dataset: { state } }, stateLabel(state));
}

export function loading(text) {
  return h("p", { class: "loading", role: "status" }, text);
}

export function empty(text, ...actions) {
  return h("div", { class: "empty" }, h("p", {}, text), ...actions);
}

/** The API's message (and its per-field details) as an alert. */
export function errorBox(error, title = "Something went wrong") {
  const details = (error && error.details) || [];
  return h(
    "div",
    { class: "alert alert-error", role: "alert" },
    h("p", { class: "alert-title" }, title),
    h("p", {}, error && error.message ? error.message : String(error)),
    details.length
      ? h("ul", {}, details.map((detail) => h("li", {}, `${detail.field}: ${detail.message}`)))
      : null,
  );
}

export function notice(text, kind = "info") {
  return h("div", { class: ["alert", `alert-${kind}`], role: "status" }, text);
}

/** Speaks `text` to assistive technology without moving focus. */
export function announce(text) {
  const region = document.getElementById("announcer");
  if (region) replace(region, text);
}

/**
 * A modal confirmation (native <dialog>: focus is trapped and Escape cancels).
 * Resolves true when the user confirms.
 */
export function confirmDialog({ title, body, confirmLabel, danger = false }) {
  return new Promise((resolve) => {
    const titleId = `dialog-title-${Date.now()}`;
    const dialog = h(
      "dialog",
      { class: "dialog", "aria-labelledby": titleId },
      h(
        "form",
        { method: "dialog" },
        h("h2", { id: titleId }, title),
        h("div", { class: "dialog-body" }, body),
        h(
          "div",
          { class: "dialog-actions" },
          h("button", { type: "submit", value: "cancel", class: "btn", autofocus: true }, "Keep it"),
          h("button", { type: "submit", value: "confirm", class: ["btn", danger ? "btn-danger" : "btn-primary"] }, confirmLabel),
        ),
      ),
    );
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "confirm");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Calls `tick` every `intervalMs` until it returns false or `signal` aborts; skips hidden tabs. */
export function poll(tick, intervalMs, signal) {
  let timer = null;
  const schedule = () => {
    if (!signal.aborted) timer = setTimeout(run, intervalMs);
  };
  const run = async () => {
    if (signal.aborted) return;
    if (document.hidden) {
      schedule();
      return;
    }
    let again = false;
    try {
      again = await tick();
    } catch {
      again = true; // a failed refresh shows its error; the next one may succeed
    }
    if (again) schedule();
  };
  signal.addEventListener("abort", () => clearTimeout(timer));
  schedule();
}
