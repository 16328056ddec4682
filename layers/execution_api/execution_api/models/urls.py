"""Where things are under the stack's origin (``https://<host>``)."""

from __future__ import annotations

API_BASE_PATH = "/api/v1"
CONSOLE_PATH = "/console"
