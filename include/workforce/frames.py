"""Tables of rows with their warehouse types, kept on disk as typed Parquet.

The transform step captures each published mart's rows for the month (``model.capture``), the
release stage protects and stages them (``release.stage``), publish swaps them in: every hop keeps
each column's DuckDB type, so ``month_end`` stays a DATE and an all-empty status column stays a
VARCHAR in the Parquet files and the BI file, whatever pandas made of them in between. Each Arrow
field also records its DuckDB type in its metadata, so a reader never has to guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workforce.files import atomic_write

#: Key of the Arrow field metadata naming a column's type in the warehouse mart.
DUCKDB_TYPE = b"duckdb_type"

#: Warehouse (DuckDB) column types a published table may use, and their Arrow (Parquet) types.
#: DuckDB reads each Arrow type back as the same DuckDB type. (No DECIMAL: DuckDB hands decimals
#: to pandas as floats; a mart casts them to DOUBLE.)
ARROW_TYPES: dict[str, pa.DataType] = {
    "BOOLEAN": pa.bool_(),
    "TINYINT": pa.int8(),
    "SMALLINT": pa.int16(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "FLOAT": pa.float32(),
    "DOUBLE": pa.float64(),
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
}


class FrameTypeError(ValueError):
    """A column's type cannot be kept (unsupported), or a file does not say what its types are."""


@dataclass
class TypedFrame:
    """One table's rows, with each column's type in the warehouse mart (in the frame's column order)."""

    name: str
    frame: pd.DataFrame
    column_types: dict[str, str]

    def replace_frame(self, frame: pd.DataFrame) -> TypedFrame:
        return TypedFrame(self.name, frame, self.column_types)


def arrow_schema(column_types: dict[str, str]) -> pa.Schema:
    """The Arrow schema of a table from its warehouse column types."""
    fields = []
    for column, duckdb_type in column_types.items():
        if duckdb_type not in ARROW_TYPES:
            raise FrameTypeError(
                f"column {column} has warehouse type {duckdb_type}, which publishing does not support "
                f"(supported: {', '.join(ARROW_TYPES)}; cast it in the mart)"
            )
        fields.append(pa.field(column, ARROW_TYPES[duckdb_type], metadata={DUCKDB_TYPE: duckdb_type.encode()}))
    return pa.schema(fields)


def column_types_of(schema: pa.Schema) -> dict[str, str]:
    """The warehouse column types a typed Parquet file carries."""
    missing = [f.name for f in schema if not (f.metadata or {}).get(DUCKDB_TYPE)]
    if missing:
        raise FrameTypeError(f"no warehouse type recorded for column(s) {missing}: stage the month again")
    return {f.name: f.metadata[DUCKDB_TYPE].decode() for f in schema}


def parquet_column_types(path: Path) -> dict[str, str]:
    return column_types_of(pq.read_schema(path))


def write_parquet(path: Path, table: TypedFrame) -> Path:
    """Write the rows with their declared types (atomically)."""
    arrow = pa.Table.from_pandas(table.frame, schema=arrow_schema(table.column_types), preserve_index=False)
    return atomic_write(path, lambda tmp: pq.write_table(arrow, tmp))


def read_parquet(path: Path, name: str) -> TypedFrame:
    """Rows and declared types of a typed Parquet file, as a frame exactly as DuckDB reads the mart
    (read through DuckDB, so every column gets the same pandas type as when read from the warehouse)."""
    import duckdb

    types = parquet_column_types(path)
    con = duckdb.connect()
    try:
        frame = con.execute("SELECT * FROM read_parquet(?)", [str(path)]).df()
    finally:
        con.close()
    return TypedFrame(name, frame, types)
