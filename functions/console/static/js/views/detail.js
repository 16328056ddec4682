// One execution: its record, input, output and error, the workflow's steps (the current one
// marked), the history as a timeline, live while it runs; cancel, terminate, share, delete and
// download. Elevations also show the grant, and admins their audit trail.

import { ApiError, api } from "../api.js";
import { currentUser } from "../auth.js";
import { h, jsonBlock, keepingFocus, replace } from "../dom.js";
import { dateTime, duration, isRunning, stateLabel } from "../format.js";
import { announce, confirmDialog, errorBox, loading, notice, poll, stateBadge } from "../ui.js";

const REFRESH_MS = 2000;

export async function detailView(main, ctx, guid) {
  const path = `/execution/${encodeURIComponent(guid)}`;
  const user = await currentUser();
  const heading = h("h1", {}, "Execution");
  const status = h("div", { class: "status-line" });
  const actions = h("div", { class: "actions", role: "group", "aria-label": "Actions" });
  const feedback = h("div", { class: "feedback" });
  const body = h("div", { class: "detail-body", "aria-busy": "true" }, loading("Loading the execution…"));
  const audit = h("div", { class: "audit" });
  replace(main, h("p", { class: "crumbs" }, h("a", { href: "/console/", dataset: { link: "" } }, "← Executions")), heading, status, actions, feedback, body, audit);

  let execution = null;
  let renderedState = null;

  // Live while the execution runs, and after it while its grant is still held: the revoke that
  // follows an elevation's end shows up here too.
  async function load() {
    execution = await api("GET", path);
    render();
    return isRunning(execution) || execution.grant?.state === "granted";
  }

  function render() {
    body.setAttribute("aria-busy", "false");
    replace(heading, `${execution.workflow} `, h("code", { class: "guid" }, execution.guid));
    replace(
      status,
      stateBadge(execution.state),
      isRunning(execution) ? h("span", { class: "live", dataset: { testid: "live" } }, "Live: updates while it runs") : null,
    );
    if (renderedState !== execution.state) {
      renderActions();
      renderedState = execution.state;
    }
    keepingFocus(body, () => renderBody());
  }

  function renderBody() {
    replace(
      body,
      h(
        "div",
        { class: "column" },
        execution.grant ? elevation(execution) : null,
        record(execution),
        section("Input", jsonBlock(execution.input, "Input")),
        execution.output !== null && execution.output !== undefined ? section("Output", jsonBlock(execution.output, "Output")) : null,
        execution.error ? section("Error", jsonBlock(execution.error, "Error")) : null,
      ),
      h("div", { class: "column" }, steps(execution), timeline(execution.history || [])),
    );
  }

  function renderActions() {
    const running = isRunning(execution);
    if (!canAct(user, execution)) {
      replace(actions, h("p", { class: "help" }, "Shared with you: read-only."), downloadButton());
      return;
    }
    replace(
      actions,
      running ? h("button", { type: "button", class: "btn", on: { click: cancel } }, "Cancel") : null,
      running ? h("button", { type: "button", class: ["btn", "btn-danger"], on: { click: terminate } }, "Terminate") : null,
      h(
        "button",
        { type: "button", class: "btn", "aria-pressed": String(Boolean(execution.isPublic)), on: { click: toggleShare } },
        execution.isPublic ? "Shared: stop sharing" : "Share (read-only, signed-in users)",
      ),
      downloadButton(),
      running ? null : h("button", { type: "button", class: ["btn", "btn-danger"], on: { click: remove } }, "Delete"),
    );
  }

  async function act(work, done) {
    replace(feedback);
    try {
      await work();
      replace(feedback, notice(done, "success"));
      announce(done);
    } catch (error) {
      replace(feedback, errorBox(error, "The action did not happen"));
      return false;
    }
    await refresh();
    if (isRunning(execution)) startPolling();
    return true;
  }

  async function cancel() {
    const stops = execution.cancel_mode === "stop";
    const confirmed = await confirmDialog({
      title: "Cancel this execution?",
      body: stops
        ? [
            h("p", {}, h("strong", {}, "Cancel stops it: "), "this workflow has no cleanup to run (its cancel mode is stop), so Step Functions stops it at once and it ends as Cancelled."),
            h("p", {}, "Terminate stops it the same way, and ends it as Terminated."),
          ]
        : [
            h("p", {}, h("strong", {}, "Cancel is graceful: "), "the workflow is told to stop, runs its own cleanup (an elevation revokes the role it granted) and ends as Cancelled."),
            h("p", {}, "Terminate, the other way to end it, is forceful: Step Functions stops it at once and its cleanup does not run."),
          ],
      confirmLabel: "Cancel the execution",
    });
    const done = stops ? "Cancelled: the execution is stopped" : "Cancellation sent: the workflow is cleaning up";
    if (confirmed) await act(() => api("POST", `${path}/cancel`), done);
  }

  async function terminate() {
    const confirmed = await confirmDialog({
      title: "Terminate this execution?",
      body: [
        h("p", {}, h("strong", {}, "Terminate is forceful: "), "Step Functions stops the execution at once. The workflow's own cleanup steps do not run, and it ends as Terminated."),
        h("p", {}, "Prefer Cancel, which is graceful: the workflow cleans up (an elevation revokes its role) before it ends. Terminate is for an execution that is stuck."),
      ],
      confirmLabel: "Terminate",
      danger: true,
    });
    if (confirmed) await act(() => api("POST", `${path}/terminate`), "Termination sent");
  }

  async function toggleShare() {
    const isPublic = !execution.isPublic;
    await act(
      () => api("PUT", `/executions/${encodeURIComponent(execution.guid)}`, { body: { isPublic } }),
      isPublic ? "Shared: any signed-in user with the link can read it" : "No longer shared",
    );
    renderedState = null;
    render();
  }

  async function remove() {
    const confirmed = await confirmDialog({
      title: "Delete this execution?",
      body: h("p", {}, "Its record and history are removed for good."),
      confirmLabel: "Delete",
      danger: true,
    });
    if (!confirmed) return;
    try {
      await api("DELETE", `/executions/${encodeURIComponent(execution.guid)}`);
    } catch (error) {
      replace(feedback, errorBox(error, "Not deleted"));
      return;
    }
    announce("Execution deleted");
    ctx.navigate("/console/");
  }

  function downloadButton() {
    return h("button", { type: "button", class: "btn", on: { click: download } }, "Download as JSON");
  }

  function download() {
    const blob = new Blob([JSON.stringify(execution, null, 2)], { type: "application/json" });
    const link = h("a", { href: URL.createObjectURL(blob), download: `execution-${execution.guid}.json` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  }

  async function loadAudit() {
    if (!user || !user.isAdmin) return;
    try {
      const trail = await api("GET", `/executions/${encodeURIComponent(guid)}/audit`);
      replace(audit, auditTrail(trail));
    } catch (error) {
      replace(audit, section("Audit trail", errorBox(error, "Could not load the audit trail")));
    }
  }

  async function refresh() {
    try {
      return await load();
    } catch (error) {
      body.setAttribute("aria-busy", "false");
      if (error instanceof ApiError && error.status === 404) {
        replace(body, errorBox(error, "No such execution, or it is not yours"));
        replace(actions);
        return false;
      }
      replace(feedback, errorBox(error, "Could not load the execution"));
      return Boolean(execution && isRunning(execution));
    }
  }

  let polling = false;
  function startPolling() {
    if (polling) return;
    polling = true;
    poll(async () => {
      const again = await refresh();
      await loadAudit();
      if (!again) polling = false;
      return again;
    }, REFRESH_MS, ctx.signal);
  }

  if (await refresh()) startPolling();
  await loadAudit();
}

/** The owner and admins act on an execution; others read it when it is shared. */
function canAct(user, execution) {
  return Boolean(user && (user.isAdmin || execution.user === user.email || execution.user === user.sub));
}

function section(title, ...content) {
  return h("section", { class: "panel", "aria-label": title }, h("h2", {}, title), ...content);
}

function record(execution) {
  const rows = [
    ["State", `${stateLabel(execution.state)} (${execution.state})`],
    ["Workflow", `${execution.workflow} (${execution.agentflowId || "—"})`],
    ["Requested by", execution.user],
    ["Session", execution.sessionId || "—"],
    ["Started", dateTime(execution.start_time)],
    ["Ended", execution.stop_time ? dateTime(execution.stop_time) : "—"],
    ["Duration", duration(execution.execution_time)],
    ["Shared", execution.isPublic ? "yes: any signed-in user can read it" : "no"],
    ["Cancel", execution.cancel_mode === "stop" ? "stops it (no cleanup to run)" : "graceful (the workflow cleans up)"],
    ["Step Functions execution", execution.workflow_id],
  ];
  const tags = Object.entries(execution.tags || {});
  if (tags.length) rows.push(["Tags", tags.map(([key, value]) => `${key}=${value}`).join(", ")]);
  return section("Record", h("dl", { class: "record" }, rows.map(([name, value]) => [h("dt", {}, name), h("dd", {}, value)])));
}

/** Steps in the order the workflow first entered them; the one entered and not left is current. */
export function stepsOf(history, running) {
  const order = [];
  const open = new Map();
  for (const event of history) {
    if (!event.state) continue;
    if (event.event_type === "StateEntered") {
      if (!order.includes(event.state)) order.push(event.state);
      open.set(event.state, (open.get(event.state) || 0) + 1);
    } else if (event.event_type === "StateExited") {
      open.set(event.state, (open.get(event.state) || 1) - 1);
    }
  }
  const current = running ? [...order].reverse().find((name) => open.get(name) > 0) || null : null;
  return { order, current };
}

function steps(execution) {
  const { order, current } = stepsOf(execution.history || [], isRunning(execution));
  if (!order.length) return section("Steps", h("p", {}, "No step has started yet."));
  return section(
    "Steps",
    h(
      "ol",
      { class: "steps" },
      order.map((name) =>
        h(
          "li",
          { class: name === current ? "current" : "done", "aria-current": name === current ? "step" : false },
          name,
          name === current ? h("span", { class: "step-note" }, " — current step") : null,
        ),
      ),
    ),
  );
}

/** What an elevation asks for and what it got, from the record: the grant as the API holds it
 * (granted, revoked with its cause, or a revoke that failed and that the reconciler retries). */
function elevation(execution) {
  const input = execution.input || {};
  const output = execution.output || {};
  const held = execution.grant || null;
  const rows = [
    ["Role", input.role || "—"],
    ["Reason", input.reason || "—"],
    ["Duration", held ? duration(held.duration) : duration(input.duration || "PT1H")],
  ];
  if (input.ticket) rows.push(["Ticket", input.ticket]);
  if (held) rows.push(["Granted as", held.target]);
  if (execution.approved_by && execution.approved_by.length) rows.push(["Approved by", execution.approved_by.join(", ")]);
  if (output.denied_by) rows.push(["Denied by", [].concat(output.denied_by).join(", ")]);
  return section(
    "Elevation",
    h("p", { class: "grant", dataset: { testid: "grant" } }, grantLine(execution, held)),
    h("dl", { class: "record" }, rows.map(([name, value]) => [h("dt", {}, name), h("dd", {}, value)])),
  );
}

function grantLine(execution, held) {
  const state = held && held.state;
  if (state === "granted") return `Granted: ${held.role} since ${dateTime(held.granted_at)}, until ${dateTime(held.expires_at)}`;
  if (state === "revoked") return `Was granted ${held.role}; revoked ${dateTime(held.revoked_at)} (${held.cause})`;
  if (state === "revoke_failed") return `Revoke failed (${held.cause}): the reconciler retries until the access is removed`;
  if (isRunning(execution)) {
    const { current } = stepsOf(execution.history || [], true);
    return current && /approv/i.test(current) ? "Waiting for approval" : "Not granted yet";
  }
  if ((execution.output || {}).decision === "denied") return "Denied: nothing was granted";
  return `Ended ${stateLabel(execution.state).toLowerCase()}: nothing was granted`;
}

function timeline(history) {
  return section(
    "History",
    history.length
      ? h(
          "ol",
          { class: "timeline" },
          history.map((event) =>
            h(
              "li",
              {},
              h("time", { datetime: event.timestamp }, dateTime(event.timestamp)),
              " ",
              h("span", { class: "event-type" }, event.event_type),
              event.state ? [" ", h("span", { class: "event-state" }, event.state)] : null,
              event.error ? h("div", { class: "event-error" }, `${event.error}${event.cause ? `: ${event.cause}` : ""}`) : null,
            ),
          ),
        )
      : h("p", {}, "No history yet."),
  );
}

// GET /executions/{id}/audit: {guid, events: [{type, at, actor, detail}]}, oldest first.
function auditTrail(trail) {
  const events = trail.events;
  return section(
    "Audit trail",
    events.length
      ? h(
          "ol",
          { class: "timeline audit-trail", dataset: { testid: "audit-trail" } },
          events.map((event) =>
            h(
              "li",
              {},
              h("time", { datetime: event.at }, dateTime(event.at)),
              " ",
              h("span", { class: "event-type" }, event.type),
              ` by ${event.actor}`,
              auditDetail(event.detail),
            ),
          ),
        )
      : h("p", {}, "No audit entries."),
  );
}

function auditDetail(detail) {
  const pairs = Object.entries(detail || {});
  if (!pairs.length) return "";
  return h("span", { class: "audit-detail" }, ` (${pairs.map(([name, value]) => `${name}: ${typeof value === "string" ? value : JSON.stringify(value)}`).join(", ")})`);
}
