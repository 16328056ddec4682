// The console's entry point: routes by path (/console/..., served index.html by the function),
// keeps the user signed in, and renders one view at a time. Leaving a view aborts its refreshes.

import { SignInRequired, completeSignIn, currentUser, signIn, signOut } from "./auth.js";
import { loadConfig } from "./config.js";
import { h, replace } from "./dom.js";
import { loadSession, wasSignedOut } from "./session.js";
import { errorBox } from "./ui.js";
import { approvalsView } from "./views/approvals.js";
import { decideView } from "./views/decide.js";
import { detailView } from "./views/detail.js";
import { listView } from "./views/list.js";
import { startView } from "./views/start.js";

const ROUTES = [
  { pattern: /^\/console\/?$/, view: listView, nav: "executions", title: "Executions" },
  { pattern: /^\/console\/executions\/([^/]+)$/, view: detailView, nav: "executions", title: "Execution" },
  { pattern: /^\/console\/start$/, view: startView, nav: "start", title: "Start" },
  { pattern: /^\/console\/approvals$/, view: approvalsView, nav: "approvals", title: "Approvals" },
  { pattern: /^\/console\/decide$/, view: decideView, nav: "approvals", title: "Decision" },
];

const main = document.getElementById("main");
let current = null;

async function render() {
  if (current) current.abort();
  const controller = new AbortController();
  current = controller;
  document.querySelector("dialog[open]")?.close();
  if (location.pathname === "/console/callback") {
    await finishSignIn();
    return;
  }
  const route = ROUTES.find((candidate) => candidate.pattern.test(location.pathname));
  if (!route) {
    replace(main, h("h1", {}, "Not found"), h("p", {}, "This page does not exist. "), h("a", { href: "/console/", dataset: { link: "" } }, "Your executions"));
    return;
  }
  if (!loadSession()) {
    if (wasSignedOut()) {
      showSignedOut();
      return;
    }
    await guarded(() => signIn());
    return;
  }
  await renderHeader(route.nav);
  document.title = `${route.title} · execution-api console`;
  const [, parameter] = location.pathname.match(route.pattern);
  const ctx = { signal: controller.signal, navigate };
  await guarded(() => route.view(main, ctx, parameter && decodeURIComponent(parameter)));
}

async function guarded(work) {
  try {
    await work();
  } catch (error) {
    if (error instanceof SignInRequired) return; // the browser is leaving for the sign-in page
    replace(main, errorBox(error, "The console could not show this page"));
  }
}

async function finishSignIn() {
  replace(main, h("p", { role: "status" }, "Signing in…"));
  try {
    const returnTo = await completeSignIn(new URLSearchParams(location.search));
    history.replaceState(null, "", returnTo); // the code leaves the address bar and the history
    await render();
  } catch (error) {
    history.replaceState(null, "", "/console/callback");
    replace(main, h("h1", {}, "Sign-in failed"), errorBox(error, "Sign-in failed"), signInButton());
  }
}

function showSignedOut() {
  document.getElementById("user").replaceChildren();
  replace(main, h("h1", {}, "Signed out"), h("p", {}, "You have signed out of the console."), signInButton());
}

function signInButton() {
  return h("button", { type: "button", class: ["btn", "btn-primary"], on: { click: () => guarded(() => signIn("/console/")) } }, "Sign in");
}

async function renderHeader(active) {
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const user = await currentUser();
  replace(
    document.getElementById("user"),
    h("span", { class: "user-name", dataset: { testid: "user" } }, user ? user.email : ""),
    h("button", { type: "button", class: ["btn", "btn-small"], on: { click: () => signOut() } }, "Sign out"),
  );
}

/** Client-side navigation; `state` travels with the history entry (e.g. the previous pages' cursors). */
export function navigate(url, state = null, { replace: replaceEntry = false } = {}) {
  if (replaceEntry) history.replaceState(state, "", url);
  else history.pushState(state, "", url);
  render().then(() => main.focus({ preventScroll: true }));
}

document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a[data-link]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(link.getAttribute("href"));
});
window.addEventListener("popstate", () => render());
window.addEventListener("hashchange", () => render()); // another decision link opened in this tab

loadConfig()
  .then(render)
  .catch((error) => replace(main, errorBox(error, "The console could not load its configuration")));
