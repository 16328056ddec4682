// The executions list: the caller's executions, newest first, with the API's filters and page
// size in the URL (a view can be bookmarked and shared), paged with next_token, refreshed while
// any execution shown is running, and bulk delete of ended ones.

import { ApiError, api } from "../api.js";
import { h, keepingFocus, replace } from "../dom.js";
import { STATES, dateTime, duration, isRunning, shortId, stateLabel } from "../format.js";
import { announce, confirmDialog, empty, errorBox, loading, poll, stateBadge } from "../ui.js";

const FILTERS = ["state", "workflow", "sessionId", "startDate", "endDate", "limit"];
const PAGE_SIZES = ["12", "25", "50", "100"];
const REFRESH_MS = 3000;

export async function listView(main, ctx) {
  const params = new URLSearchParams(location.search);
  const filters = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) || ""]));
  const cursor = params.get("cursor") || "";
  const previous = (history.state && history.state.previousCursors) || null;
  const selected = new Set();
  let page = null;

  const summary = h("p", { class: "summary", "aria-live": "polite" });
  const live = h("span", { class: "live", hidden: true, dataset: { testid: "live" } }, "Live: refreshing while running");
  const deleteButton = h("button", { type: "button", class: ["btn", "btn-danger"], disabled: true, on: { click: bulkDelete } }, "Delete selected");
  const results = h("div", { class: "results", "aria-busy": "true" }, loading("Loading executions…"));
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  const bulkOutcome = h("div", { class: "bulk-outcome" });

  replace(
    main,
    h("div", { class: "page-head" }, h("h1", {}, "Executions"), h("a", { href: "/console/start", class: ["btn", "btn-primary"], dataset: { link: "" } }, "Start an execution")),
    filterForm(filters, ctx),
    h("div", { class: "toolbar" }, summary, live, deleteButton),
    bulkOutcome,
    results,
    pager,
  );

  async function load() {
    page = await api("GET", "/executions", { query: { ...filters, next_token: cursor } });
    render();
    return page.executions.some(isRunning);
  }

  function render() {
    results.setAttribute("aria-busy", "false");
    const count = page.total === 1 ? "1 execution" : `${page.total} executions`;
    replace(summary, `${count}${anyFilter(filters) ? " match these filters" : ""}`);
    live.hidden = !page.executions.some(isRunning);
    for (const guid of [...selected]) {
      if (!page.executions.some((execution) => execution.guid === guid && !isRunning(execution))) selected.delete(guid);
    }
    if (!page.executions.length) {
      replace(
        results,
        empty(
          anyFilter(filters) || cursor ? "No executions match these filters." : "You have no executions yet.",
          h("a", { href: "/console/start", dataset: { link: "" } }, "Start one"),
        ),
      );
    } else {
      keepingFocus(results, () => replace(results, table(page.executions)));
    }
    renderPager();
    updateDeleteButton();
  }

  function table(executions) {
    const ended = executions.filter((execution) => !isRunning(execution));
    const selectAll = h("input", {
      type: "checkbox",
      "aria-label": "Select every ended execution on this page",
      dataset: { focusKey: "select-all" },
      checked: ended.length > 0 && ended.every((execution) => selected.has(execution.guid)),
      disabled: ended.length === 0,
      on: {
        change: (event) => {
          for (const execution of ended) {
            if (event.target.checked) selected.add(execution.guid);
            else selected.delete(execution.guid);
          }
          render();
        },
      },
    });
    return h(
      "table",
      { class: "executions" },
      h("caption", { class: "visually-hidden" }, "Executions, newest first"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, selectAll),
          ["Execution", "Workflow", "State", "Started", "Duration", "Session"].map((name) => h("th", { scope: "col" }, name)),
        ),
      ),
      h("tbody", {}, executions.map(row)),
    );
  }

  function row(execution) {
    const running = isRunning(execution);
    return h(
      "tr",
      { dataset: { guid: execution.guid, state: execution.state } },
      h(
        "td",
        { class: "select" },
        h("input", {
          type: "checkbox",
          "aria-label": running
            ? `Execution ${shortId(execution.guid)} is running and cannot be deleted`
            : `Select execution ${shortId(execution.guid)}`,
          disabled: running,
          checked: selected.has(execution.guid),
          dataset: { focusKey: `select-${execution.guid}` },
          on: {
            change: (event) => {
              if (event.target.checked) selected.add(execution.guid);
              else selected.delete(execution.guid);
              updateDeleteButton();
            },
          },
        }),
      ),
      h(
        "td",
        { "data-label": "Execution" },
        h(
          "a",
          { href: `/console/executions/${encodeURIComponent(execution.guid)}`, dataset: { link: "", focusKey: `open-${execution.guid}` }, title: execution.guid },
          h("code", {}, shortId(execution.guid)),
        ),
      ),
      h("td", { "data-label": "Workflow" }, execution.workflow),
      h("td", { "data-label": "State" }, stateBadge(execution.state)),
      h("td", { "data-label": "Started" }, h("time", { datetime: execution.start_time }, dateTime(execution.start_time))),
      h("td", { "data-label": "Duration" }, duration(execution.execution_time)),
      h("td", { "data-label": "Session", class: "session" }, execution.sessionId || "—"),
    );
  }

  function renderPager() {
    const pageNumber = previous ? previous.length + 1 : cursor ? null : 1;
    const controls = [];
    if (previous && previous.length) {
      const target = previous[previous.length - 1];
      controls.push(
        h("button", { type: "button", class: "btn", on: { click: () => go(target, previous.slice(0, -1)) } }, "Previous page"),
      );
    } else if (cursor) {
      controls.push(h("button", { type: "button", class: "btn", on: { click: () => go("", []) } }, "First page"));
    }
    if (pageNumber) controls.push(h("span", { class: "page-number" }, `Page ${pageNumber}`));
    if (page && page.next_token) {
      controls.push(
        h("button", { type: "button", class: "btn", on: { click: () => go(page.next_token, [...(previous || []), cursor]) } }, "Next page"),
      );
    }
    replace(pager, controls);
  }

  function go(nextCursor, previousCursors) {
    const query = new URLSearchParams(withoutEmpty({ ...filters, cursor: nextCursor }));
    ctx.navigate(`/console/${query.toString() ? `?${query}` : ""}`, { previousCursors });
  }

  function updateDeleteButton() {
    deleteButton.disabled = selected.size === 0;
    replace(deleteButton, selected.size ? `Delete selected (${selected.size})` : "Delete selected");
  }

  async function bulkDelete() {
    const ids = [...selected];
    const confirmed = await confirmDialog({
      title: ids.length === 1 ? "Delete 1 execution?" : `Delete ${ids.length} executions?`,
      body: [
        h("p", {}, "Their records and history are removed for good. Running executions are never deleted."),
        h("ul", { class: "id-list" }, ids.map((guid) => h("li", {}, h("code", {}, guid)))),
      ],
      confirmLabel: "Delete",
      danger: true,
    });
    if (!confirmed) return;
    replace(bulkOutcome, loading("Deleting…"));
    try {
      const outcome = await api("DELETE", "/executions", { body: { executionIds: ids } });
      const items = outcome.affected === ids.length ? ids.map((guid) => ({ guid, deleted: true })) : await whichRemain(ids);
      const deleted = items.filter((item) => item.deleted).length;
      replace(
        bulkOutcome,
        h(
          "section",
          { class: "alert alert-info", "aria-label": "Delete results" },
          h("p", { class: "alert-title" }, `Deleted ${deleted} of ${ids.length}`),
          h(
            "ul",
            { class: "bulk-results" },
            items.map((item) =>
              h("li", { dataset: { guid: item.guid, deleted: String(item.deleted) } }, h("code", {}, item.guid), " — ", item.deleted ? "deleted" : `not deleted: ${item.reason}`),
            ),
          ),
        ),
      );
      announce(`Deleted ${deleted} of ${ids.length} executions`);
      selected.clear();
    } catch (error) {
      replace(bulkOutcome, errorBox(error, "Nothing was deleted"));
      return;
    }
    await refresh();
  }

  async function refresh() {
    try {
      return await load();
    } catch (error) {
      replace(results, errorBox(error, "Could not load the executions"));
      return false;
    }
  }

  if (await refresh()) poll(refresh, REFRESH_MS, ctx.signal);
}

/** After a partial bulk delete: which ids are gone, and why the others stayed. */
async function whichRemain(ids) {
  return Promise.all(
    ids.map(async (guid) => {
      try {
        const execution = await api("GET", `/executions/${encodeURIComponent(guid)}`);
        const reason = isRunning(execution) ? "it is running" : `it is ${stateLabel(execution.state).toLowerCase()} and was not removed`;
        return { guid, deleted: false, reason };
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return { guid, deleted: true };
        return { guid, deleted: false, reason: error.message };
      }
    }),
  );
}

function filterForm(filters, ctx) {
  const field = (name, label, control) => h("div", { class: "field" }, h("label", { for: `filter-${name}` }, label), control);
  const select = (name, options) =>
    h(
      "select",
      { id: `filter-${name}`, name },
      options.map(([value, text]) => h("option", { value, selected: filters[name] === value }, text)),
    );
  const input = (name, type, extra = {}) => h("input", { id: `filter-${name}`, name, type, value: filters[name], ...extra });
  const form = h(
    "form",
    {
      class: "filters",
      role: "search",
      "aria-label": "Filter executions",
      on: {
        submit: (event) => {
          event.preventDefault();
          const values = Object.fromEntries(new FormData(form).entries());
          const query = new URLSearchParams(withoutEmpty(values));
          ctx.navigate(`/console/${query.toString() ? `?${query}` : ""}`, { previousCursors: [] });
        },
      },
    },
    field("state", "State", select("state", [["", "Any state"], ...STATES.map((state) => [state, stateLabel(state)])])),
    field("workflow", "Workflow", input("workflow", "text", { placeholder: "default, batch…", autocomplete: "off" })),
    field("sessionId", "Session", input("sessionId", "text", { autocomplete: "off" })),
    field("startDate", "Started from", input("startDate", "date")),
    field("endDate", "Started until", input("endDate", "date")),
    field("limit", "Per page", select("limit", pageSizes(filters.limit))),
    h(
      "div",
      { class: "filter-actions" },
      h("button", { type: "submit", class: ["btn", "btn-primary"] }, "Apply"),
      h("a", { href: "/console/", class: "btn", dataset: { link: "" } }, "Clear"),
    ),
  );
  return form;
}

/** The usual sizes, and the URL's own when it is another (a shared link may carry any 1–100). */
function pageSizes(current) {
  const sizes = current && !PAGE_SIZES.includes(current) ? [...PAGE_SIZES, current] : PAGE_SIZES;
  return sizes.map((size) => [size === "12" ? "" : size, size]);
}

function anyFilter(filters) {
  return ["state", "workflow", "sessionId", "startDate", "endDate"].some((name) => filters[name]);
}

function withoutEmpty(values) {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== "" && value !== undefined && value !== null));
}
