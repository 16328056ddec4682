"""Exit codes: part of the interface scripts rely on (documented in the README and ``--help``)."""

from __future__ import annotations

SUCCESS = 0  # the command worked; for `wait`, the execution FINISHED
FAILURE = 1  # the API refused, the network failed, not signed in, ... (the message says)
USAGE = 2  # bad option or argument (click's own code)
ERROR = 3  # `wait`: the execution ended ERROR
TIMEOUT = 4  # `wait`: the execution ended TIMEOUT (its own time limit)
TERMINATED = 5  # `wait`: the execution ended TERMINATED
STOPPED = 6  # `wait`: the execution ended STOPPED (cancelled)
WAIT_TIMED_OUT = 124  # `wait --timeout` passed while the execution still ran (as GNU timeout)

BY_END_STATE = {
    "FINISHED": SUCCESS,
    "ERROR": ERROR,
    "TIMEOUT": TIMEOUT,
    "TERMINATED": TERMINATED,
    "STOPPED": STOPPED,
}

HELP = f"""\b
Exit codes:
  {SUCCESS}    success; `wait`: the execution FINISHED
  {FAILURE}    error: the API's message, network, sign-in
  {USAGE}    bad usage (options, arguments)
  {ERROR}    `wait`: the execution ended ERROR
  {TIMEOUT}    `wait`: the execution ended TIMEOUT
  {TERMINATED}    `wait`: the execution ended TERMINATED
  {STOPPED}    `wait`: the execution ended STOPPED (cancelled)
  {WAIT_TIMED_OUT}  `wait --timeout`: still running when the time was up"""
