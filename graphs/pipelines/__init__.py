"""The pipelines shipped with hybridgraph (``hybridgraph pipelines`` lists them)."""
