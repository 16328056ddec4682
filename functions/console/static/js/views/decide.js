// The page a decision link opens (/console/decide#input=<token>). Reading it decides nothing:
// the token is in the fragment (never sent to a server by the browser, so never in a log), the
// page only shows what the link decides (POST /signals/inspect), and the decision is a POST made
// by the signed-in recipient pressing the button.

import { ApiError, api } from "../api.js";
import { currentUser, signOut } from "../auth.js";
import { h, replace } from "../dom.js";
import { dateTime, duration } from "../format.js";
import { announce, errorBox, loading } from "../ui.js";

const OUTCOME_TITLES = {
  400: "This link is not valid",
  403: "This link is addressed to someone else",
  404: "This request no longer exists",
  409: "This request can no longer be decided",
  410: "This link has expired",
};

export async function decideView(main) {
  const token = new URLSearchParams(location.hash.replace(/^#/, "")).get("input");
  const content = h("div", { class: "decide", "aria-busy": "true" }, loading("Reading the link…"));
  replace(main, h("h1", {}, "Decision"), content);
  if (!token) {
    replace(content, outcomePage("This page needs a decision link", "Open the approve or deny link from your notification, or see your approvals.", "missing"));
    return;
  }
  let link;
  try {
    link = await api("POST", "/signals/inspect", { body: { input: token } });
  } catch (error) {
    replace(content, await failurePage(error));
    return;
  }
  content.setAttribute("aria-busy", "false");
  replace(content, decisionForm(link, token, content));
}

function decisionForm(link, token, container) {
  const approve = link.decision === "approve";
  const comment = h("textarea", { id: "decision-comment", rows: "3", maxlength: "1000" });
  const button = h("button", { type: "submit", class: ["btn", approve ? "btn-primary" : "btn-danger"] }, approve ? "Approve" : "Deny");
  return h(
    "form",
    {
      class: "decision",
      dataset: { decision: link.decision },
      on: {
        submit: async (event) => {
          event.preventDefault();
          button.disabled = true;
          try {
            const answer = await api("POST", `/execution/${encodeURIComponent(link.guid)}/signal`, {
              body: { input: token, ...(comment.value.trim() ? { comment: comment.value.trim() } : {}) },
            });
            const text = outcomeText(link.decision, answer);
            replace(container, outcomePage(approve ? "Approved" : "Denied", text, "decided"));
            announce(text);
          } catch (error) {
            replace(container, await failurePage(error));
          }
        },
      },
    },
    h("p", { class: "lead" }, approve ? "This link approves the request below." : "This link denies the request below."),
    decisionSummary(link),
    h("div", { class: "field" }, h("label", { for: "decision-comment" }, "Comment (optional)"), comment),
    h("div", { class: "actions" }, button, h("a", { href: "/console/approvals", class: "btn", dataset: { link: "" } }, "See all approvals")),
  );
}

/** Requester, role, reason, duration, approvals so far and expiry of a pending decision. */
export function decisionSummary(item) {
  const input = item.input || {};
  const rows = [
    ["Requested by", item.requested_by],
    ["Workflow", item.workflow],
    ["Role", input.role || "—"],
    ["Reason", input.reason || "—"],
    ["Duration", duration(input.duration || "PT1H")],
    ["Approvals so far", `${item.approvals ?? 0} of ${item.required_approvals ?? 1}`],
    ["Link expires", dateTime(item.expires_at)],
  ];
  return h(
    "dl",
    { class: "record decision-summary" },
    rows.map(([name, value]) => [h("dt", {}, name), h("dd", {}, value ?? "—")]),
  );
}

export function outcomeText(decision, answer) {
  const approvals = answer && answer.required_approvals ? ` (${answer.approvals} of ${answer.required_approvals} approvals)` : "";
  if (answer && answer.outcome === "pending") return `Your approval is recorded${approvals}; the request waits for more approvers.`;
  if (answer && answer.outcome === "approved") return `Approved${approvals}: the role is being granted.`;
  if (answer && answer.outcome === "denied") return "Denied: nothing is granted.";
  return decision === "approve" ? "Approved." : "Denied.";
}

function outcomePage(title, text, kind) {
  return h(
    "section",
    { class: ["outcome", `outcome-${kind}`], dataset: { outcome: kind } },
    h("h2", {}, title),
    h("p", {}, text),
    h("p", {}, h("a", { href: "/console/approvals", dataset: { link: "" } }, "Your approvals"), " · ", h("a", { href: "/console/", dataset: { link: "" } }, "Your executions")),
  );
}

async function failurePage(error) {
  const status = error instanceof ApiError ? error.status : 0;
  const page = outcomePage(OUTCOME_TITLES[status] || "The link could not be read", error.message, `error-${status}`);
  if (status === 403) {
    const user = await currentUser();
    page.append(
      h("p", {}, `You are signed in as ${user ? user.email : "someone else"}. `, h("button", { type: "button", class: "btn", on: { click: () => signOut() } }, "Sign in as someone else")),
    );
  }
  return page;
}
