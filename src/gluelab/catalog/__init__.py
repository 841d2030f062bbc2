"""The Data Catalog: databases, tables and their versions, partitions, connections."""

from .connections import ConnectionOperations
from .databases import DatabaseOperations
from .partitions import PartitionOperations
from .tables import TableOperations


class CatalogService(DatabaseOperations, TableOperations, PartitionOperations, ConnectionOperations):
    """Every catalog operation, one method each (see ``gluelab.operations``)."""


__all__ = ["CatalogService"]
