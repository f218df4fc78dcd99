"""The building blocks of typed results: records and families of records.

A *record* is a frozen dataclass of one estimate (a correlation, a change test, a model). Its
:meth:`Record.to_dict` is exactly its object in ``results.json``. A *family* is the tuple of
records of one analysis family, with :meth:`Family.to_frame` giving a tidy DataFrame: one row
per record, with the field names of ``results.json``.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, fields, is_dataclass
from typing import Any, ClassVar, Generic, TypeVar, overload

import pandas as pd

__all__ = ["Family", "PublishedComparison", "Record", "records_frame"]


def _plain(value: Any) -> Any:
    """Enums to their values, tuples to lists, recursively (for ``to_dict``)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class Record:
    """Mixin of a frozen result dataclass: ``to_dict`` gives its ``results.json`` object."""

    #: Keys that ``to_dict`` adds to the dataclass fields (derived summaries).
    derived_keys: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def frame_columns(cls) -> list[str]:
        """The columns of :meth:`to_row`: the fields (a nested result's fields in its place;
        nested tuples of records left out), then :attr:`derived_keys`."""
        return [*_columns(cls), *cls.derived_keys]

    def to_dict(self) -> dict[str, Any]:
        """The record as in ``results.json`` (unrounded; NaN becomes null only when written)."""
        return {k: _plain(v) for k, v in asdict(self).items()}  # type: ignore[call-overload]

    def to_row(self) -> dict[str, Any]:
        """One DataFrame row: :meth:`to_dict` without nested lists of records, and tuples of
        text joined with ``"; "``."""
        row = {}
        for key, value in self.to_dict().items():
            if isinstance(value, list):
                if value and isinstance(value[0], dict):
                    continue
                value = "; ".join(str(v) for v in value)
            row[key] = value
        return row


R = TypeVar("R", bound=Record)


def _columns(kind: type | None) -> list[str]:
    if kind is None or not is_dataclass(kind):
        return []
    hints = typing.get_type_hints(kind)
    out: list[str] = []
    for f in fields(kind):
        hint = hints.get(f.name)
        args = typing.get_args(hint)
        if isinstance(hint, type) and is_dataclass(hint):
            out.extend(_columns(hint))
        elif typing.get_origin(hint) is tuple and args and is_dataclass(args[0]):
            continue
        else:
            out.append(f.name)
    return out


def records_frame(records: Sequence[Any], kind: type | None = None) -> pd.DataFrame:
    """A DataFrame with one row per record (:meth:`Record.to_row`, or the fields of any other
    dataclass); the columns of ``kind`` when there is no record."""
    if not records:
        if isinstance(kind, type) and issubclass(kind, Record):
            return pd.DataFrame(columns=kind.frame_columns())
        return pd.DataFrame(columns=_columns(kind))
    rows = [
        r.to_row() if isinstance(r, Record) else {k: _plain(v) for k, v in asdict(r).items()}
        for r in records
    ]
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Family(Generic[R]):
    """The records of one analysis family, in plan order.

    Iterate over it, index it or take ``len``; ``to_frame()`` gives a tidy DataFrame with the
    field names of ``results.json``; ``to_list()`` gives the ``results.json`` section.
    """

    records: tuple[R, ...] = ()

    #: The record class, for the columns of an empty frame.
    record_type: type | None = None

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[R]:
        return iter(self.records)

    def __bool__(self) -> bool:
        return bool(self.records)

    @overload
    def __getitem__(self, index: int) -> R: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[R, ...]: ...
    def __getitem__(self, index: int | slice) -> R | tuple[R, ...]:
        return self.records[index]

    def to_frame(self) -> pd.DataFrame:
        """One row per record, with the field names of ``results.json``."""
        return records_frame(self.records, self.record_type)

    def to_list(self) -> list[dict[str, Any]]:
        """The ``results.json`` section: one object per record."""
        return [r.to_dict() for r in self.records]


@dataclass(frozen=True)
class PublishedComparison(Record):
    """A published statistic beside its reproduction (the demo's ``reproduction`` section)."""

    target: str
    source: str
    published: str
    reproduced: str
    ok: bool
    reason: str = ""
