// How values from the API read on screen.

export const STATES = ["INPROGRESS", "FINISHED", "ERROR", "TERMINATED", "TIMEOUT", "STOPPED"];
const STATE_LABELS = {
  INPROGRESS: "Running",
  FINISHED: "Finished",
  ERROR: "Failed",
  TERMINATED: "Terminated",
  TIMEOUT: "Timed out",
  STOPPED: "Cancelled",
};

export function stateLabel(state) {
  return STATE_LABELS[state] || String(state);
}

export function isRunning(execution) {
  return execution && execution.state === "INPROGRESS";
}

export function dateTime(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

/** "PT1H2M3S" → "1 h 2 min 3 s" */
export function duration(iso) {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(String(iso || ""));
  if (!match) return iso ? String(iso) : "—";
  const [, days, hours, minutes, seconds] = match;
  const parts = [];
  if (days) parts.push(`${days} d`);
  if (hours) parts.push(`${hours} h`);
  if (minutes) parts.push(`${minutes} min`);
  if (seconds) parts.push(`${Math.round(Number(seconds))} s`);
  return parts.length ? parts.join(" ") : "0 s";
}

export function shortId(guid) {
  return String(guid || "").slice(0, 8);
}
