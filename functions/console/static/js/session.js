// The signed-in session, in sessionStorage: it lives as long as the tab, never in a URL, and is
// not shared with other tabs or kept on disk after the browser closes.

const SESSION_KEY = "console.session";
const LOGIN_KEY = "console.login";
const SIGNED_OUT_KEY = "console.signedOut";

export function loadSession() {
  return readJson(SESSION_KEY);
}

export function saveSession(session) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  sessionStorage.removeItem(SIGNED_OUT_KEY);
}

export function clearSession({ signedOut = false } = {}) {
  sessionStorage.removeItem(SESSION_KEY);
  sessionStorage.removeItem(LOGIN_KEY);
  if (signedOut) sessionStorage.setItem(SIGNED_OUT_KEY, "1");
}

export function wasSignedOut() {
  return sessionStorage.getItem(SIGNED_OUT_KEY) === "1";
}

/** The pending sign-in: state, PKCE verifier, nonce and where to return. */
export function savePendingLogin(login) {
  sessionStorage.setItem(LOGIN_KEY, JSON.stringify(login));
}

export function takePendingLogin() {
  const login = readJson(LOGIN_KEY);
  sessionStorage.removeItem(LOGIN_KEY);
  return login;
}

/** The ID token (the API's bearer) while it is valid, else null. */
export function currentIdToken(now = Date.now()) {
  const session = loadSession();
  return session && session.expires_at > now ? session.id_token : null;
}

function readJson(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}
