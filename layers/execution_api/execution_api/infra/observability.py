"""The Logger shared by every function (configured by the POWERTOOLS_* variables).

No Powertools Tracer: its X-Ray SDK import alone was ~130 ms of every cold start (about a
quarter of the import time) and half the layer's size (it brings its own botocore). Functions
keep ``Tracing: Active``, so X-Ray still records each invocation and its duration.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger()
