// The API client: JSON in and out, the ID token as bearer. A 401 refreshes the session once; when
// that fails the user signs in again and comes back to the page they were on.

import { bearer, signIn } from "./auth.js";
import { loadConfig } from "./config.js";

export class ApiError extends Error {
  constructor(status, body) {
    const message = (body && body.message) || (status ? `HTTP ${status}` : "No answer from the API");
    super(message);
    this.status = status;
    this.details = Array.isArray(body && body.details) ? body.details : [];
  }
}

export async function api(method, path, { body, query, headers = {} } = {}) {
  const config = await loadConfig();
  const search = query ? `?${new URLSearchParams(withoutEmpty(query))}` : "";
  const url = `${config.api_base}${path}${search}`;
  let response = await send(method, url, body, headers, await bearerOrSignIn());
  if (response.status === 401) {
    const refreshed = await bearer({ forceRefresh: true });
    if (!refreshed) await signIn();
    response = await send(method, url, body, headers, refreshed);
    if (response.status === 401) await signIn();
  }
  const payload = await readBody(response);
  if (!response.ok) throw new ApiError(response.status, payload);
  return payload;
}

async function bearerOrSignIn() {
  const token = await bearer();
  if (!token) await signIn();
  return token;
}

async function send(method, url, body, headers, token) {
  const sent = { accept: "application/json", authorization: `Bearer ${token}`, ...headers };
  if (body !== undefined) sent["content-type"] = "application/json";
  try {
    return await fetch(url, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, { message: `Cannot reach the API (${error.message}). Check your connection and retry.` });
  }
}

async function readBody(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 500) };
  }
}

function withoutEmpty(query) {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined && value !== null && value !== ""));
}
