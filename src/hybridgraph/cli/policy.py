"""``hybridgraph policy``: check a routing policy, print its JSON Schema, try a decision."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from hybridgraph.cli.models import CatalogOption

__all__ = ["app"]

app = typer.Typer(help="Routing policies: lint, schema, decisions.", no_args_is_help=True)

PolicyArg = Annotated[str, typer.Argument(help="a preset (strict, balanced, cost-saver) or a policy YAML file")]


@app.command("check")
def check_command(policy: PolicyArg, catalog_file: CatalogOption = None) -> None:
    """Validate the policy against the catalog and lint it; exit 1 when there are warnings."""
    from rich.console import Console

    from hybridgraph.catalog import Catalog
    from hybridgraph.policies import Policy, RulePolicy, lint

    catalog = Catalog.load(catalog_file)
    spec = Policy.load(policy)
    RulePolicy.from_catalog(spec, catalog)  # unknown endpoints raise here, with the fix
    warnings = lint(spec, {name: e.zone for name, e in catalog.endpoints.items()})
    console = Console()
    for warning in warnings:
        console.print(f"[yellow]warning[/]: {warning}")
    count = f"{len(spec.rules)} rules, default {spec.default.value if spec.default else 'none'}"
    if warnings:
        console.print(f"{spec.name}: {count}; {len(warnings)} warning(s)")
        raise typer.Exit(1)
    console.print(f"[green]ok[/]: {spec.name}: {count}")


@app.command("schema")
def schema_command() -> None:
    """Print the policy files' JSON Schema (for editors and CI)."""
    from hybridgraph.policies import Policy

    typer.echo(json.dumps(Policy.model_json_schema(), indent=2))


@app.command("decide")
def decide_command(
    policy: PolicyArg,
    features: Annotated[str, typer.Argument(help='step features as JSON, e.g. \'{"sensitivity": "confidential"}\'')],
    catalog_file: CatalogOption = None,
) -> None:
    """Show the decision for one set of step features (to try a policy out)."""
    from hybridgraph.catalog import Catalog
    from hybridgraph.policies import Policy, RulePolicy
    from hybridgraph.policies.features import features_from_json

    engine = RulePolicy.from_catalog(Policy.load(policy), Catalog.load(catalog_file))
    decision = engine.decide(features_from_json(features))
    zone = decision.zone.value if decision.zone else "-"
    typer.echo(
        f"{decision.target.value} → {decision.endpoint or '-'} ({zone}) · rule {decision.rule} · {decision.reason}"
    )
