"""Logger and Tracer shared by every function (configured by the POWERTOOLS_* variables)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Tracer

logger = Logger()
tracer = Tracer()
