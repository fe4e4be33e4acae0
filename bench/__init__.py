"""hybridgraph benchmarks: each one measures against a baseline taken in the same run.

Run all: ``python -m bench`` (``--quick`` for a short run, ``--json FILE`` to save results).
"""
