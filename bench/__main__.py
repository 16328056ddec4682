"""``python -m bench [--quick] [--sections a,b] [--output PATH]``: prints a table per section and
writes bench/results.json. Benchmarks print numbers; they never assert (exit 0 unless a section
crashed outright)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import traceback
import warnings
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import coldstart, listcost, localserver, roundtrips, size
from bench.common import apply_base_env
from toolkit.template import ROOT

SECTIONS = ["roundtrips", "listcost", "coldstart", "size", "local"]
ALIASES = {"1": "roundtrips", "2": "listcost", "3": "coldstart", "4": "size", "5": "local", "list": "listcost"}


def machine() -> dict[str, Any]:
    versions: dict[str, str | None] = {}
    for name in ("moto", "boto3", "botocore", "aws-lambda-powertools", "pydantic", "cfn-lint"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=str(ROOT), capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": affinity or os.cpu_count(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "versions": versions,
        "git_commit": commit,
    }


def _write(path: Path, results: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(results, indent=1, default=str, sort_keys=False) + "\n")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller run: list cost at 1k/10k only, fewer repeats")
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated, in order: {','.join(SECTIONS)} (or 1-5)",
    )
    parser.add_argument(
        "--sizes", default="", help="list-cost table sizes, e.g. 1000,10000 (default 1k,10k,100k; quick 1k,10k)"
    )
    parser.add_argument("--output", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args(argv)

    chosen = [ALIASES.get(s.strip(), s.strip()) for s in args.sections.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()] or None

    apply_base_env()
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module="aws_lambda_powertools")
    output = Path(args.output)
    results: dict[str, Any] = {
        "machine": machine(),
        "mode": "quick" if args.quick else "full",
        "sections": chosen,
        "seconds": {},
    }
    info = results["machine"]
    print(
        f"execution-api bench ({results['mode']}): {info['date']}, nproc={info['nproc']}, "
        f"Python {info['python']}, moto {info['versions']['moto']}, boto3 {info['versions']['boto3']}, "
        f"commit {info['git_commit'][:10]}",
        flush=True,
    )
    crashed = False
    for section in chosen:
        started = time.perf_counter()
        try:
            if section == "roundtrips":
                results[section] = roundtrips.run(quick=args.quick)
            elif section == "listcost":
                results[section] = listcost.run(quick=args.quick, sizes=sizes)
            elif section == "coldstart":
                results[section] = coldstart.run(quick=args.quick)
            elif section == "size":
                results[section] = size.run(quick=args.quick)
            elif section == "local":
                results[section] = localserver.run(quick=args.quick)
        except Exception as error:  # noqa: BLE001 (report, go on with the next section)
            crashed = True
            results[section] = {"error": repr(error), "traceback": traceback.format_exc()}
            print(f"\n== {section}: FAILED: {error!r}", flush=True)
            traceback.print_exc()
        results["seconds"][section] = round(time.perf_counter() - started, 1)
        print(f"   ({section}: {results['seconds'][section]:.0f} s)", flush=True)
        _write(output, results)
    total = sum(results["seconds"].values())
    print(f"\nwrote {output} ({total:.0f} s in all)")
    return 1 if crashed else 0


if __name__ == "__main__":
    raise SystemExit(main())
