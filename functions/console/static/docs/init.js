// Swagger UI over the document the console ships (no inline script, no network: the validator
// badge is off). "Try it out" sends the console's session token when you are signed in there.

import { currentIdToken } from "../js/session.js";

window.ui = window.SwaggerUIBundle({
  url: "../openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
  requestInterceptor: (request) => {
    const token = currentIdToken();
    if (token && !request.headers.Authorization) request.headers.Authorization = `Bearer ${token}`;
    return request;
  },
});
