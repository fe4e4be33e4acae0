"""``hybridgraph bench``: the benchmark suite of a source checkout (``python -m bench`` there)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["bench_command"]


def bench_command(
    quick: Annotated[bool, typer.Option("--quick", help="a reduced run (under 5 minutes)")] = False,
    json_file: Annotated[Path | None, typer.Option("--json", help="also write the results as JSON")] = None,
) -> None:
    """Run the benchmarks and print one table of ratios against baselines measured in the same run."""
    from hybridgraph.errors import ConfigError

    root = checkout()
    if root is None:
        raise ConfigError(
            "the benchmarks ship with the source checkout, not with an installed package",
            fix="clone the repository, install it with: pip install -e '.[dev,embedded]', and run hybridgraph bench",
        )
    args = [sys.executable, "-m", "bench", *(["--quick"] if quick else [])]
    if json_file is not None:
        args += ["--json", str(json_file.expanduser().resolve())]
    raise typer.Exit(subprocess.run(args, cwd=root, check=False).returncode)


def checkout() -> Path | None:
    """The source checkout this package is installed from (an editable install), if any."""
    import hybridgraph

    root = Path(hybridgraph.__file__).resolve().parents[2]
    return root if (root / "bench" / "__main__.py").is_file() else None
