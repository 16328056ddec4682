// Sign-in with OpenID Connect: authorization code + PKCE (S256), as a public client. The ID token
// is the API's bearer (as with a Cognito user pool). Tokens stay in sessionStorage: never in a URL
// (the return path is kept beside the PKCE verifier, not sent in `state`), never logged.

import { loadConfig } from "./config.js";
import {
  clearSession,
  currentIdToken,
  loadSession,
  savePendingLogin,
  saveSession,
  takePendingLogin,
} from "./session.js";

const EXPIRY_MARGIN_MS = 30_000;

export class SignInRequired extends Error {}

export function callbackUrl() {
  return `${location.origin}/console/callback`;
}

export function homeUrl() {
  return `${location.origin}/console/`;
}

/** Leaves for the identity provider; comes back to `returnTo` (this page by default). */
export async function signIn(returnTo = location.pathname + location.search + location.hash) {
  const config = await loadConfig();
  const verifier = randomString(48);
  const login = { state: randomString(24), nonce: randomString(24), verifier, return_to: safeReturn(returnTo) };
  savePendingLogin(login);
  const query = new URLSearchParams({
    response_type: "code",
    client_id: config.client_id,
    redirect_uri: callbackUrl(),
    scope: "openid email profile",
    state: login.state,
    nonce: login.nonce,
    code_challenge: await s256(verifier),
    code_challenge_method: "S256",
  });
  location.assign(`${config.authorization_endpoint}?${query}`);
  throw new SignInRequired("signing in");
}

/** On /console/callback: trades the code for tokens; returns the path to go back to. */
export async function completeSignIn(params) {
  const login = takePendingLogin();
  if (params.get("error")) {
    throw new Error(`The identity provider refused the sign-in: ${params.get("error_description") || params.get("error")}`);
  }
  if (!login || !params.get("code") || params.get("state") !== login.state) {
    throw new Error("This sign-in response does not match a sign-in started here. Sign in again.");
  }
  const config = await loadConfig();
  const tokens = await tokenRequest(config, {
    grant_type: "authorization_code",
    code: params.get("code"),
    redirect_uri: callbackUrl(),
    client_id: config.client_id,
    code_verifier: login.verifier,
  });
  const claims = checkedClaims(tokens.id_token, config, login.nonce);
  storeTokens(tokens, claims);
  return login.return_to;
}

let refreshing = null;

/** A valid ID token: the stored one, else a refreshed one; null when the user must sign in. */
export async function bearer({ forceRefresh = false } = {}) {
  const token = forceRefresh ? null : currentIdToken(Date.now() + EXPIRY_MARGIN_MS);
  if (token) return token;
  // Requests that find the token expired at once share one refresh.
  if (!refreshing) refreshing = refreshed().finally(() => (refreshing = null));
  return refreshing;
}

async function refreshed() {
  const session = loadSession();
  if (!session || !session.refresh_token) return null;
  const config = await loadConfig();
  try {
    const tokens = await tokenRequest(config, {
      grant_type: "refresh_token",
      refresh_token: session.refresh_token,
      client_id: config.client_id,
    });
    storeTokens({ refresh_token: session.refresh_token, ...tokens }, checkedClaims(tokens.id_token, config, null));
    return tokens.id_token;
  } catch {
    clearSession();
    return null;
  }
}

/** Who is signed in: {email, sub, groups, isAdmin}, or null. */
export async function currentUser() {
  const session = loadSession();
  if (!session) return null;
  const config = await loadConfig();
  const claims = session.claims || {};
  const groups = parseGroups(claims[config.groups_claim]);
  return {
    email: claims.email || claims.sub,
    sub: claims.sub,
    groups,
    isAdmin: groups.includes(config.admin_group),
  };
}

export async function signOut() {
  const config = await loadConfig();
  clearSession({ signedOut: true });
  if (!config.end_session_endpoint) {
    location.assign(homeUrl());
    return;
  }
  // post_logout_redirect_uri is the standard name, logout_uri Cognito's; no id_token_hint: it would
  // put the token in a URL.
  const query = new URLSearchParams({
    client_id: config.client_id,
    post_logout_redirect_uri: homeUrl(),
    logout_uri: homeUrl(),
  });
  location.assign(`${config.end_session_endpoint}?${query}`);
}

async function tokenRequest(config, form) {
  let response;
  try {
    response = await fetch(config.token_endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams(form),
      credentials: "omit",
    });
  } catch (error) {
    throw new Error(`Cannot reach the identity provider: ${error.message}`);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok || !body.id_token) {
    throw new Error(`Sign-in failed: ${body.error_description || body.error || `HTTP ${response.status}`}`);
  }
  return body;
}

function storeTokens(tokens, claims) {
  const byClaim = claims.exp ? claims.exp * 1000 : Infinity;
  const byLifetime = tokens.expires_in ? Date.now() + tokens.expires_in * 1000 : Infinity;
  saveSession({
    id_token: tokens.id_token,
    refresh_token: tokens.refresh_token || null,
    expires_at: Math.min(byClaim, byLifetime),
    claims,
  });
}

function checkedClaims(idToken, config, nonce) {
  const claims = decodeJwt(idToken);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.iss !== config.issuer || !audiences.includes(config.client_id)) {
    throw new Error("The identity provider returned a token for another issuer or client.");
  }
  if (nonce !== null && claims.nonce !== nonce) {
    throw new Error("The sign-in response does not belong to this sign-in (nonce). Sign in again.");
  }
  return claims;
}

function decodeJwt(token) {
  const payload = String(token).split(".")[1] || "";
  const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "=")), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function parseGroups(value) {
  if (Array.isArray(value)) return value.map(String);
  try {
    const parsed = JSON.parse(value || "[]");
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}

/** Only a path of this console: never an absolute URL someone could slip into the flow. */
function safeReturn(path) {
  return typeof path === "string" && path.startsWith("/console") && !path.startsWith("//") ? path : "/console/";
}

function randomString(bytes) {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function s256(verifier) {
  return base64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
}

function base64Url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
