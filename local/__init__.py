"""The local server behind ``make run``: the whole API on one port, over an embedded AWS.

A thin adapter over the toolkit (``toolkit/``), which builds the stack from ``template.yaml``
under moto and loads the very handlers that run in AWS:

* ``local.server`` is the HTTP front: it deploys the template (``toolkit.aws``), sets the
  functions' environment, loads them (``toolkit.functions``) and starts the event sources.
* ``local.apigw`` plays API Gateway (HTTP API, payload format 2.0, JWT authorizer): each
  function's ``HttpApi`` events are routes, called with the event AWS would send.
* ``local.eventbridge`` plays EventBridge ("Step Functions Execution Status Change" events, which
  moto does not emit, and ``rate(...)`` schedules); ``local.streams`` plays the DynamoDB stream
  event source mapping.
* ``local.auth``, ``local.oidc`` and ``local.token`` stand in for the identity provider: one RSA
  key, kept in ``.local/jwt-signing-key.pem`` (or ``$LOCAL_JWT_KEY_FILE``), signs and verifies
  the JWTs.
* ``local.openapi`` builds ``openapi.json`` from the functions' routes and serves the docs.

Nothing here is deployed; production code never imports this package.
"""
