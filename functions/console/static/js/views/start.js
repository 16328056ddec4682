// Start an execution: a form per workflow, generated from its input schema (GET /workflows); for
// an elevation, the role is chosen among the roles the caller may request (GET /roles). The API's
// 400 details are shown next to their fields.

import { ApiError, api } from "../api.js";
import { h, replace } from "../dom.js";
import { schemaForm } from "../schema_form.js";
import { errorBox, loading } from "../ui.js";

export async function startView(main, ctx) {
  const content = h("div", {}, loading("Loading workflows…"));
  replace(main, h("h1", {}, "Start an execution"), content);
  let workflows;
  try {
    workflows = listOf(await api("GET", "/workflows"), "workflows");
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) {
      replace(content, errorBox(error, "Could not load the workflows"));
      return;
    }
    // An API without GET /workflows: name the workflow and write its input as JSON.
    replace(content, await startForm({ name: null, input_schema: null }, ctx));
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
      workflows.map((item) => h("option", { value: item.name, selected: item === workflow }, item.title || item.name)),
    ),
  );
  replace(content, picker, workflow.description ? h("p", { class: "help" }, workflow.description) : null, await startForm(workflow, ctx));
}

async function startForm(workflow, ctx) {
  const overrides = await roleChoices(workflow);
  const form = schemaForm(workflow.input_schema || JSON_INPUT, { overrides });
  const name = workflow.name ? null : h("input", { id: "start-workflow-name", type: "text", required: true, autocomplete: "off", value: "default" });
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
          const collected = form.collect();
          const input = workflow.input_schema ? collected : collected.input;
          const body = { workflow: workflow.name || name.value.trim(), input };
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
    name ? h("div", { class: "field" }, h("label", { for: "start-workflow-name" }, "Workflow"), name) : null,
    form.element,
    h("div", { class: "field" }, h("label", { for: "start-session" }, "Session (optional)"), h("p", { class: "help", id: "start-session-help" }, "A key of your choice that groups executions in the list."), session),
    outcome,
    submit,
  );
  session.setAttribute("aria-describedby", "start-session-help");
  return element;
}

// A workflow whose input the API does not describe: its input as JSON.
const JSON_INPUT = {
  type: "object",
  required: ["input"],
  properties: { input: { title: "Input (JSON)", description: 'For example {"role": "developer", "provider": "aws", "reason": "deploy"}', default: {} } },
};

/** For a workflow with a `role` input: the roles the caller may request, as its choices. */
async function roleChoices(workflow) {
  const properties = (workflow.input_schema && workflow.input_schema.properties) || {};
  if (!properties.role) return {};
  try {
    const roles = listOf(await api("GET", "/roles"), "roles");
    const names = roles.map((role) => (typeof role === "string" ? role : role.role || role.name));
    const labels = roles.map((role) => roleLabel(role));
    return names.length ? { role: { enum: names, enumLabels: labels } } : {};
  } catch {
    return {}; // the schema's own field stays: the API still checks the role
  }
}

function roleLabel(role) {
  if (typeof role === "string") return role;
  const name = role.role || role.name;
  const limit = role.max_duration || role.maxDuration;
  return limit ? `${name} (up to ${limit})` : name;
}

function listOf(body, key) {
  if (Array.isArray(body)) return body;
  return (body && Array.isArray(body[key]) && body[key]) || [];
}
