// Where to sign in and where the API is: /console/config.json (from the stack), completed by the
// issuer's OpenID Connect discovery document for the endpoints the stack does not name.

let loaded = null;

export function loadConfig() {
  if (!loaded) loaded = fetchConfig();
  return loaded;
}

async function fetchConfig() {
  const config = await getJson("/console/config.json");
  const needed = ["authorization_endpoint", "token_endpoint"];
  if (needed.every((name) => config[name])) return config;
  const discovery = await getJson(`${config.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`);
  return { ...discovery, ...config };
}

async function getJson(url) {
  const response = await fetch(url, { headers: { accept: "application/json" }, credentials: "omit" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}
