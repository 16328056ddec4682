// The approvals inbox: what waits for the signed-in user (GET /signals), each with approve and
// deny and an optional comment. Deciding is a POST with the item's own single-use link token.

import { api } from "../api.js";
import { h, replace, uniqueId } from "../dom.js";
import { announce, empty, errorBox, loading } from "../ui.js";
import { decisionSummary, outcomeText } from "./decide.js";

export async function approvalsView(main) {
  const list = h("div", { class: "inbox", "aria-busy": "true" }, loading("Loading what waits for you…"));
  replace(main, h("h1", {}, "Approvals"), h("p", { class: "help" }, "Requests that wait for your decision."), list);
  let signals;
  try {
    signals = (await api("GET", "/signals")).signals || [];
  } catch (error) {
    replace(list, errorBox(error, "Could not load your approvals"));
    return;
  }
  list.setAttribute("aria-busy", "false");
  if (!signals.length) {
    replace(list, empty("Nothing waits for your decision."));
    return;
  }
  replace(list, signals.map(card));
}

function tokenOf(url) {
  try {
    return new URL(url).searchParams.get("input");
  } catch {
    return null;
  }
}

function card(signal) {
  const commentId = uniqueId("comment");
  const comment = h("textarea", { id: commentId, rows: "2", maxlength: "1000" });
  const result = h("div", { class: "card-result", "aria-live": "polite" });
  const buttons = h("div", { class: "actions" });
  const decide = async (decision) => {
    const token = tokenOf(decision === "approve" ? signal.approve_url : signal.deny_url);
    for (const button of buttons.querySelectorAll("button")) button.disabled = true;
    try {
      const answer = await api("POST", `/execution/${encodeURIComponent(signal.guid)}/signal`, {
        body: { input: token, ...(comment.value.trim() ? { comment: comment.value.trim() } : {}) },
      });
      const text = outcomeText(decision, answer);
      replace(result, h("p", { class: "alert alert-success", role: "status" }, text));
      announce(text);
      buttons.remove();
    } catch (error) {
      for (const button of buttons.querySelectorAll("button")) button.disabled = false;
      replace(result, errorBox(error, "Not decided"));
    }
  };
  replace(
    buttons,
    h("button", { type: "button", class: ["btn", "btn-primary"], on: { click: () => decide("approve") } }, "Approve"),
    h("button", { type: "button", class: ["btn", "btn-danger"], on: { click: () => decide("deny") } }, "Deny"),
  );
  return h(
    "article",
    { class: "card", dataset: { guid: signal.guid } },
    decisionSummary(signal),
    h("div", { class: "field" }, h("label", { for: commentId }, "Comment (optional)"), comment),
    buttons,
    result,
  );
}
