"""Cold start: wall time of ``hybridgraph --help`` vs ``python -c "import litellm"``."""

from __future__ import annotations

import os
import subprocess
import sys

from bench.common import Result, median_time


def run(quick: bool = False) -> Result:
    repeats = 3 if quick else 7
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    cli = [
        sys.executable,
        "-c",
        "import sys; from hybridgraph.cli import main; sys.argv=['hybridgraph','--help']; main()",
    ]
    baseline = [sys.executable, "-c", "import litellm"]

    def call(args: list[str]) -> None:
        subprocess.run(args, check=True, capture_output=True, env=env)

    call(cli), call(baseline)  # warm the OS file cache for both
    help_s = median_time(lambda: call(cli), repeats)
    litellm_s = median_time(lambda: call(baseline), repeats)
    return Result(
        "P5",
        "cold start: hybridgraph --help vs import litellm",
        "s",
        help_s,
        litellm_s,
        "import litellm",
        "<= 0.10",
        help_s / litellm_s <= 0.10,
    )
