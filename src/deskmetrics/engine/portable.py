"""Expressions that compile to SQL every engine runs (DuckDB, PySpark, PostgreSQL …), where the
obvious Ibis spelling does not."""

from __future__ import annotations

import ibis.expr.types as ir


def as_int(flag: ir.BooleanValue) -> ir.IntegerValue:
    """A boolean as 0/1 (null stays null), for sums and maxima of conditions. Through a 32-bit
    integer: PostgreSQL casts a boolean to `integer` only, not straight to `bigint`."""
    return flag.cast("int32").cast("int64")
