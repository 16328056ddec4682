"""The local server behind ``make run``: the whole API on one port, over an embedded AWS.

A thin adapter, driven by ``template.yaml`` itself, over the very handlers that run in AWS:

* ``local.cloud`` starts moto in-process (data lives in memory for the life of the process) and
  creates the template's tables, secrets and state machines from their own properties.
* ``local.apigw`` plays API Gateway (HTTP API, payload format 2.0, JWT authorizer) and Lambda:
  each ``AWS::Serverless::Function`` with ``HttpApi`` events is imported from its ``CodeUri``
  and called with the event and context AWS would give it.
* ``local.eventbridge`` plays EventBridge for "Step Functions Execution Status Change" events,
  which moto does not emit.
* ``local.auth`` and ``local.token`` stand in for the identity provider: one RSA key, kept in
  ``.local/jwt-signing-key.pem`` (or ``$LOCAL_JWT_KEY_FILE``), signs and verifies the JWTs.

Nothing here is deployed; production code never imports this package.
"""
