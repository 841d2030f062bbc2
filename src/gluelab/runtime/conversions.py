"""How a value changes type in ApplyMapping and ResolveChoice's ``cast``: Spark's CAST with ANSI off
(Glue 5.0's Spark; https://spark.apache.org/docs/3.5.0/sql-ref-ansi-compliance.html), except that a value
that does not fit the target type becomes null (Spark would wrap or saturate it), and so does a value of
a type Spark cannot cast to the target. The result never depends on ``spark.sql.ansi.enabled``.

- number -> integer type: the fraction is dropped, toward zero (7.25 -> 7, -7.9 -> -7)
- text -> integer type: surrounding white space is ignored; the integer part of a decimal text
  ("7.5" -> 7); anything else ("abc", "1e3", "1,000", "") is null
- text -> float, double, decimal: Spark's reading (exponents, NaN, Infinity); a decimal rounds half up
  to its scale
- text -> timestamp or date: ISO 8601 forms (``2024-05-01``, ``2024-05-01 10:11:12.5``,
  ``2024-05-01T10:11:12Z``, ``...+02:00``); other forms and impossible dates are null
- number <-> timestamp: seconds since the epoch; number or boolean -> date: null
- float target: null beyond a float's range (Spark gives Infinity)
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

_INTEGRAL = (T.ByteType, T.ShortType, T.IntegerType, T.LongType)
_NUMERIC = (T.NumericType, T.BooleanType)
_COMPLEX = (T.StructType, T.ArrayType, T.MapType)
_FLOAT_MAX = 3.4028234663852886e38
# The integer part of a decimal text, as Spark's CAST of text to an integer type reads it with ANSI off.
_INTEGER_PART = r"^\s*([+-]?\d+)(\.\d*)?\s*$"


def convert(value: Column, source: Any, target: Any) -> Column:
    """``value`` (of Spark type ``source``) as Spark type ``target``, by the rules above."""
    if source == target:
        return value
    if not castable(source, target):
        return F.lit(None).cast(target)
    if isinstance(source, T.StringType) and isinstance(target, _INTEGRAL):
        return F.regexp_extract(value, _INTEGER_PART, 1).try_cast(target)
    if isinstance(target, T.FloatType) and isinstance(source, T.DoubleType | T.DecimalType | T.StringType):
        return _to_float(value)
    return value.try_cast(target)


def _to_float(value: Column) -> Column:
    """A float, or null where the (finite) value is beyond a float's range (Spark would give Infinity)."""
    wide = value.try_cast(T.DoubleType())
    too_large = (F.abs(wide) > _FLOAT_MAX) & ~F.isnan(wide) & (F.abs(wide) != float("inf"))
    return F.when(~too_large, wide.cast(T.FloatType()))


def castable(source: Any, target: Any) -> bool:
    """Whether Spark has a cast from ``source`` to ``target`` (else the value becomes null)."""
    if isinstance(source, T.NullType) or isinstance(target, T.StringType):
        return True
    if isinstance(source, _COMPLEX) or isinstance(target, _COMPLEX):
        return isinstance(source, _COMPLEX) and isinstance(target, _COMPLEX)
    if isinstance(source, T.BinaryType) or isinstance(target, T.BinaryType):
        return isinstance(source, T.StringType | T.BinaryType) and isinstance(target, T.BinaryType)
    if isinstance(target, T.DateType | T.TimestampNTZType):
        return not isinstance(source, _NUMERIC)
    if isinstance(source, T.DateType | T.TimestampNTZType):
        return not isinstance(target, _NUMERIC)
    if isinstance(target, T.TimestampType):
        return not isinstance(source, T.BooleanType)
    if isinstance(source, T.TimestampType):
        return not isinstance(target, T.BooleanType)
    return True
