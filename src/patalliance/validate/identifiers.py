"""Participant ids as canonical keys: Unicode NFC, and warnings for near-identical spellings.

The same id can be written with different code points: ``é`` as one character (NFC, what most
keyboards type) or as ``e`` plus a combining accent (NFD, what some macOS tools write). Both
look the same in every editor, so every participant id is compared, and used from here on,
after Unicode NFC normalisation (https://unicode.org/reports/tr15/). Two spellings that differ
only in normalisation are one participant, with the warning ``id_unicode_variant``; two ids
that differ only in upper/lower case stay two participants, with the warning
``id_case_variant``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import numpy as np
import pandas as pd

from patalliance._text import show_cell
from patalliance.qc import Problem
from patalliance.validate.coded import Coded


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def nfc(ids: Coded) -> Coded:
    """Stripped ids in Unicode NFC form (a no-op, and fast, for ASCII ids); spellings that
    differ only in normalisation become one id."""
    if all(v.isascii() for v in ids.values):
        return ids
    return ids.mapped(lambda v: pd.Index([_nfc(t).strip() for t in v], dtype=object))


def _form(text: str) -> str:
    """The Unicode normalisation form ``text`` is written in (the code points stay unquoted, so
    that reports with participant labels do not leak the id through them)."""
    for form in ("NFC", "NFD"):
        if unicodedata.is_normalized(form, text):
            return form
    return "a mixed form"


def _first_rows(ids: Coded, files: Coded, rows: np.ndarray) -> pd.DataFrame:
    """Each distinct non-blank id with the file and row where it first occurs, in order."""
    first = np.full(len(ids.values), len(ids), dtype=np.intp)
    first[ids.codes[::-1]] = np.arange(len(ids) - 1, -1, -1)
    seen = np.flatnonzero((first < len(ids)) & np.asarray(ids.values != "", dtype=bool))
    at = first[seen]
    order = np.argsort(at, kind="stable")
    return pd.DataFrame(
        {
            "raw": ids.values.to_numpy(dtype=object)[seen[order]],
            "file": files.values.to_numpy(dtype=object)[files.codes[at[order]]],
            "row": rows[at[order]],
        }
    )


def variant_warnings(tables: Sequence[tuple[Coded, Coded, np.ndarray]]) -> list[Problem]:
    """Warnings for ids written in two ways that differ only in normalisation or in case.

    ``tables`` hold each raw table's stripped ids as read, files and rows; each spelling is
    reported once, at its first row.
    """
    parts = [_first_rows(*table) for table in tables if len(table[0])]
    if not parts:
        return []
    seen = pd.concat(parts, ignore_index=True).drop_duplicates("raw")
    if seen.empty or (bool(seen["raw"].map(str.isascii).all()) and not _case_clash(seen["raw"])):
        return []
    seen = seen.assign(nfc=[_nfc(t) for t in seen["raw"]])
    problems = []
    first_of: dict[str, str] = {}
    for raw, key, file, row in zip(
        seen["raw"], seen["nfc"], seen["file"], seen["row"], strict=True
    ):
        if key in first_of:
            problems.append(
                Problem(
                    str(file),
                    int(row),
                    "participant_id",
                    "id_unicode_variant",
                    f"participant {show_cell(raw)} (Unicode {_form(raw)}) differs from "
                    f"participant {show_cell(first_of[key])} (Unicode {_form(first_of[key])}) "
                    "only in Unicode normalisation: they look the same and are read as the "
                    "same participant. Write the id one way in every file.",
                    "warning",
                )
            )
        else:
            first_of[key] = raw
    by_fold: dict[str, str] = {}
    for key in dict.fromkeys(seen["nfc"]):
        fold = key.casefold()
        if fold in by_fold:
            where = seen[seen["nfc"] == key].iloc[0]
            problems.append(
                Problem(
                    str(where["file"]),
                    int(where["row"]),
                    "participant_id",
                    "id_case_variant",
                    f"participant {show_cell(key)} and participant "
                    f"{show_cell(by_fold[fold])} differ only in upper/lower case; they are read "
                    "as two different participants. If they are the same person, write the id "
                    "one way in every file.",
                    "warning",
                )
            )
        else:
            by_fold[fold] = key
    return problems


def _case_clash(ids: pd.Series) -> bool:
    return bool(ids.str.casefold().duplicated().any())


def case_twins(known: set[str]) -> dict[str, str]:
    """Known ids by their case-folded form, to name the id an unknown one differs from."""
    return {k.casefold(): k for k in sorted(known)}
