"""``gluelab catalog``: read the Data Catalog (databases, tables, a table's definition, partitions)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from .render import console, print_json, when
from .state import services

app = typer.Typer(no_args_is_help=True, help="Browse the Data Catalog.")

JSON_OPTION = typer.Option(False, "--json", help="Print Glue-shaped JSON instead of a table.")


def _all_pages(call: Any, key: str, limit: int | None = None, **request: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = None
    while True:
        page = call(**request, **({"NextToken": token} if token else {}))
        items.extend(page[key])
        token = page.get("NextToken")
        if not token or (limit is not None and len(items) >= limit):
            return items[:limit] if limit is not None else items


def _split(name: str, table: str | None) -> tuple[str, str]:
    if table:
        return name, table
    database, dot, table_name = name.partition(".")
    if not dot or not database or not table_name:
        raise typer.BadParameter(f"expected DATABASE.TABLE or DATABASE TABLE, not {name!r}")
    return database, table_name


@app.command()
def databases(as_json: bool = JSON_OPTION) -> None:
    """List databases."""
    rows = _all_pages(services().catalog.get_databases, "DatabaseList")
    if as_json:
        print_json({"DatabaseList": rows})
        return
    table = Table("Name", "Description", "LocationUri", "Created", title=f"{len(rows)} database(s)")
    for db in rows:
        table.add_row(
            db["Name"], db.get("Description", ""), db.get("LocationUri", ""), when(db.get("CreateTime"))
        )
    console.print(table)


@app.command()
def tables(
    database: str = typer.Argument(..., help="Database name."),
    expression: str = typer.Option(None, "--expression", "-e", help="Name pattern, as GetTables takes it."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List the tables of a database."""
    request = {"DatabaseName": database, **({"Expression": expression} if expression else {})}
    rows = _all_pages(services().catalog.get_tables, "TableList", **request)
    if as_json:
        print_json({"TableList": rows})
        return
    table = Table(
        "Name",
        "Type",
        "Format",
        "Columns",
        "Partition keys",
        "Location",
        "Version",
        "Updated",
        title=f"{len(rows)} table(s) in {database.lower()}",
    )
    for t in rows:
        sd = t.get("StorageDescriptor") or {}
        table.add_row(
            t["Name"],
            t.get("TableType", ""),
            (t.get("Parameters") or {}).get("classification", ""),
            str(len(sd.get("Columns") or [])),
            ", ".join(k["Name"] for k in t.get("PartitionKeys") or []),
            sd.get("Location", ""),
            t.get("VersionId", ""),
            when(t.get("UpdateTime")),
        )
    console.print(table)


@app.command()
def show(
    name: str = typer.Argument(..., metavar="DATABASE.TABLE", help="The table, as DATABASE.TABLE."),
    table_name: str = typer.Argument(None, hidden=True),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a table's definition: columns, partition keys, storage, parameters."""
    database, table_name = _split(name, table_name)
    t = services().catalog.get_table(DatabaseName=database, Name=table_name)["Table"]
    if as_json:
        print_json({"Table": t})
        return
    sd = t.get("StorageDescriptor") or {}
    console.print(
        f"[bold]{t['DatabaseName']}.{t['Name']}[/]  {t.get('TableType', '')}  version {t['VersionId']}"
    )
    if t.get("Description"):
        console.print(t["Description"])
    for label, value in (
        ("Location", sd.get("Location")),
        ("Input format", sd.get("InputFormat")),
        ("Output format", sd.get("OutputFormat")),
        ("SerDe", (sd.get("SerdeInfo") or {}).get("SerializationLibrary")),
        ("Created", when(t.get("CreateTime"))),
        ("Updated", when(t.get("UpdateTime"))),
    ):
        if value:
            console.print(f"  {label:<14}{value}")
    columns = Table("Column", "Type", "Comment", title="Columns")
    for column in sd.get("Columns") or []:
        columns.add_row(column["Name"], column.get("Type", ""), column.get("Comment", ""))
    for key in t.get("PartitionKeys") or []:
        columns.add_row(f"{key['Name']} [dim](partition key)[/]", key.get("Type", ""), key.get("Comment", ""))
    console.print(columns)
    if t.get("Parameters"):
        params = Table("Parameter", "Value", title="Parameters")
        for key, value in sorted(t["Parameters"].items()):
            params.add_row(key, value)
        console.print(params)


@app.command()
def partitions(
    name: str = typer.Argument(..., metavar="DATABASE.TABLE", help="The table, as DATABASE.TABLE."),
    table_name: str = typer.Argument(None, hidden=True),
    expression: str = typer.Option(
        None,
        "--expression",
        "-e",
        help="Filter, as GetPartitions takes it: year = '2024' AND month IN ('01','02')",
    ),
    max_items: int = typer.Option(1000, "--max", min=1, help="Show at most this many partitions."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List a table's partitions, optionally filtered by a partition Expression."""
    database, table_name = _split(name, table_name)
    catalog = services().catalog
    keys = [
        k["Name"]
        for k in catalog.get_table(DatabaseName=database, Name=table_name)["Table"].get("PartitionKeys") or []
    ]
    request: dict[str, Any] = {
        "DatabaseName": database,
        "TableName": table_name,
        "MaxResults": min(max_items, 1000),
    }
    if expression:
        request["Expression"] = expression
    rows = _all_pages(catalog.get_partitions, "Partitions", limit=max_items, **request)
    if as_json:
        print_json({"Partitions": rows})
        return
    table = Table(
        *keys,
        "Location",
        "Created",
        title=f"{len(rows)} partition(s) of {database.lower()}."
        f"{table_name.lower()}" + (f" where {expression}" if expression else ""),
    )
    for p in rows:
        table.add_row(
            *p["Values"], (p.get("StorageDescriptor") or {}).get("Location", ""), when(p.get("CreationTime"))
        )
    console.print(table)
