// Start an execution: the workflows the caller may start and a form per workflow, generated from
// its input schema (GET /workflows); for an elevation (input_model "elevation"), the role is chosen
// among the roles the caller may request (GET /roles). The API's 400 details are shown next to
// their fields.

import { ApiError, api } from "../api.js";
import { h, replace } from "../dom.js";
import { schemaForm } from "../schema_form.js";
import { errorBox, loading } from "../ui.js";

const ELEVATION = "elevation";

export async function startView(main, ctx) {
  const content = h("div", {}, loading("Loading the workflows…"));
  replace(main, h("h1", {}, "Start an execution"), content);
  let workflows;
  try {
    workflows = (await api("GET", "/workflows")).workflows;
  } catch (error) {
    replace(content, errorBox(error, "Could not load the workflows"));
    return;
  }
  if (!workflows.length) {
    replace(content, h("p", {}, "There is no workflow you may start."));
    return;
  }
  const chosen = new URLSearchParams(location.search).get("workflow");
  const workflow = workflows.find((item) => item.name === chosen) || workflows[0];
  const picker = h(
    "div",
    { class: "field" },
    h("label", { for: "start-workflow" }, "Workflow"),
    h(
      "select",
      {
        id: "start-workflow",
        on: { change: (event) => ctx.navigate(`/console/start?workflow=${encodeURIComponent(event.target.value)}`, null, { replace: true }) },
      },
      workflows.map((item) => h("option", { value: item.name, selected: item === workflow }, item.name)),
    ),
  );
  replace(content, picker, about(workflow), await startForm(workflow, ctx));
}

/** What the chosen workflow is, and how a cancel will end it. */
function about(workflow) {
  const cancel =
    workflow.cancel_mode === "stop"
      ? "A cancel stops it at once: it has no cleanup to run."
      : "A cancel is graceful: the workflow runs its cleanup before it ends.";
  return h("p", { class: "help", dataset: { testid: "workflow-about" } }, [workflow.description, cancel].filter(Boolean).join(" "));
}

async function startForm(workflow, ctx) {
  const form = schemaForm(workflow.input_schema, { overrides: await roleChoices(workflow) });
  const session = h("input", { id: "start-session", name: "sessionId", type: "text", autocomplete: "off", maxlength: "128" });
  const outcome = h("div", { class: "form-outcome" });
  // One key per form: a second click (or a retry after a network error) starts nothing new.
  const idempotencyKey = crypto.randomUUID();
  const submit = h("button", { type: "submit", class: ["btn", "btn-primary"] }, "Start");
  const element = h(
    "form",
    {
      class: "start-form",
      novalidate: true,
      on: {
        submit: async (event) => {
          event.preventDefault();
          form.clearErrors();
          replace(outcome);
          submit.disabled = true;
          const body = { workflow: workflow.name, input: form.collect() };
          if (session.value.trim()) body.sessionId = session.value.trim();
          try {
            const started = await api("POST", "/execution", { body, headers: { "idempotency-key": idempotencyKey } });
            ctx.navigate(`/console/executions/${encodeURIComponent(started.run_id)}`);
          } catch (error) {
            submit.disabled = false;
            const unplaced = error instanceof ApiError ? form.showErrors(error.details) : [];
            replace(outcome, errorBox({ message: error.message, details: unplaced }, "Not started"));
          }
        },
      },
    },
    form.element,
    h("div", { class: "field" }, h("label", { for: "start-session" }, "Session (optional)"), h("p", { class: "help", id: "start-session-help" }, "A key of your choice that groups executions in the list."), session),
    outcome,
    submit,
  );
  session.setAttribute("aria-describedby", "start-session-help");
  return element;
}

/** For an elevation: the roles the caller may request, as the choices of its `role`; the accounts
 * and permission sets of their IAM Identity Center pairs, as the choices of `account` and
 * `permission_set` (the API refuses a pair the chosen role does not allow, naming the field). */
async function roleChoices(workflow) {
  if (workflow.input_model !== ELEVATION) return {};
  let roles;
  try {
    ({ roles } = await api("GET", "/roles"));
  } catch {
    return {}; // the schema's own fields stay: the API still checks them
  }
  if (!roles.length) return {};
  const overrides = { role: { enum: roles.map((role) => role.name), enumLabels: roles.map(roleLabel) } };
  const pairs = roles.flatMap((role) => role.eligible || []);
  if (pairs.length) {
    const accounts = new Map(pairs.map((pair) => [pair.account, `${pair.account} (${pair.account_name})`]));
    overrides.account = { enum: [...accounts.keys()], enumLabels: [...accounts.values()] };
    overrides.permission_set = { enum: [...new Set(pairs.map((pair) => pair.permission_set))] };
  }
  return overrides;
}

function roleLabel(role) {
  const approval = role.auto_approve ? "no approval" : `${role.required_approvals} approval${role.required_approvals === 1 ? "" : "s"}`;
  const pairs = (role.eligible || []).map((pair) => `${pair.account_name}: ${pair.permission_set}`);
  const grants = pairs.length ? `; ${pairs.join(", ")}` : "";
  return `${role.name}: ${role.description || role.name} (up to ${role.max_duration}, ${approval}${grants})`;
}
