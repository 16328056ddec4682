"""Builds the stack of ``template.yaml`` in this process, under moto; not deployed.

The tests (``tests/``), the local server (``local/``) and the bench (``bench/``) all use it, so
they cannot drift apart:

* ``toolkit.template``: the template as data, the one intrinsic-function resolver, the
  functions' environment. Anything it cannot reproduce raises ``TemplateError``.
* ``toolkit.aws``: ``EmbeddedAws``, moto started in-process, and ``deploy()``, which creates the
  template's tables, secrets, topics, queues and state machines from their own properties.
* ``toolkit.moto_fixes``: every patch of moto's behaviour, for the pinned ``MOTO_VERSION``.
* ``toolkit.functions``: the functions loaded from their ``CodeUri``, the Lambda context, and the
  one-event-at-a-time invocation runner.
* ``toolkit.waiting``: bounded polling for what moto does in background threads.
* ``toolkit.runtime`` and ``toolkit.build``: the Python of the Lambda runtime, and ``sam build``
  run with it.
"""
