"""``python -m local``: the local server (see ``local.server``)."""

from local.server import main

raise SystemExit(main())
