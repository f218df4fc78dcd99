"""Item columns and forms that no measure uses: one ``unused_columns`` warning per group.

A column that the readers do not read is reported, never dropped without a word: in a wide
or SPSS/Stata file, per instrument whose shipped key's item pattern the columns match, per
stem of other numbered columns (``x_1`` .. ``x_9``), and once for the remaining columns; in a
REDCap export, per form with no field read, and per form with numbered fields that are not
read. The warning names the first column, counts the columns and says how to use them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from patalliance._text import show_cell
from patalliance.io.trialdata import FileProblem

_NUMBERED = re.compile(r"^(?P<stem>.*?)[_.-]?\d+$")
#: REDCap export columns that are not fields of a form.
_REDCAP_SYSTEM = re.compile(
    r"^redcap_(event_name|repeat_instrument|repeat_instance|data_access_group|survey_identifier)$"
    r"|_complete$|_timestamp$"
)


def _listing(columns: Sequence[str]) -> str:
    shown = ", ".join(show_cell(c) for c in columns[:3])
    more = f" .. {show_cell(columns[-1])}" if len(columns) > 4 else ""
    if len(columns) == 4:
        shown += f", {show_cell(columns[3])}"
    n = len(columns)
    return f"{n} column{'s' if n != 1 else ''} ({shown}{more}) {'are' if n != 1 else 'is'}"


def _example(columns: Sequence[str]) -> str:
    """A field pattern for the form's numbered fields (``vs_1`` -> ``<key id> = "vs_{item}"``)."""
    for column in columns:
        m = re.match(r"^(?P<stem>.*?[_.-]?)\d+$", column)
        if m is not None and m["stem"] and "___" not in column:
            return f' (e.g. <key id> = "{m["stem"]}{{item}}")'
    return ""


def _warning(file: str, columns: Sequence[str], message: str) -> FileProblem:
    return FileProblem(
        file, "unused_columns", message, column=columns[0], row=1, severity="warning"
    )


def wide_unused(
    file: str,
    columns: Iterable[str],
    used: Collection[str],
    *,
    shipped: Callable[[str], str | None],
    study_instruments: Collection[str],
) -> list[FileProblem]:
    """Warnings for the columns of a wide file that are not read.

    ``shipped(column)`` names the shipped instrument whose item pattern the column matches,
    or None.
    """
    by_instrument: dict[str, list[str]] = {}
    by_stem: dict[str, list[str]] = {}
    rest: list[str] = []
    for column in columns:
        if column in used:
            continue
        instrument = shipped(column)
        numbered = _NUMBERED.match(column)
        if instrument is not None:
            by_instrument.setdefault(instrument, []).append(column)
        elif numbered is not None and numbered["stem"]:
            by_stem.setdefault(numbered["stem"], []).append(column)
        else:
            rest.append(column)
    out = []
    for instrument, cols in by_instrument.items():
        if instrument in study_instruments:
            why = (
                f"they match the items of {instrument}, but at no timepoint of its measure "
                "or not in the item range; check their names and the measure's timepoints"
            )
        else:
            why = (
                f"they match the items of the shipped key {instrument}, which no measure "
                f'uses; add a [measures.<id>] with instrument = "{instrument}" to score them'
            )
        out.append(_warning(file, cols, f"{_listing(cols)} not read: {why}"))
    for stem, cols in by_stem.items():
        out.append(
            _warning(
                file,
                cols,
                f"{_listing(cols)} not read (numbered like the items of {show_cell(stem)}): "
                "no measure uses them; map them to an instrument in [data.wide] columns or "
                "pattern, or leave them out of the file",
            )
        )
    if rest:
        out.append(
            _warning(
                file,
                rest,
                f"{_listing(rest)} not read (neither items nor id, timepoint, arm or "
                "participant columns); name them in [data.wide] participant_columns to keep "
                "them as covariates",
            )
        )
    return out


def redcap_unused(
    file: str,
    columns: Iterable[str],
    used: Collection[str],
    form_of: Mapping[str, str],
) -> list[FileProblem]:
    """Warnings for the forms of a REDCap export that no measure reads.

    A form none of whose fields is read gives one warning; a form that is read but has
    numbered fields that are not (an item no key maps) gives one warning for those.
    """
    fields_by_form: dict[str, list[str]] = {}
    used_forms: set[str] = set()
    for column in columns:
        field = column.partition("___")[0]
        form = form_of.get(field)
        if form is None or _REDCAP_SYSTEM.search(column):
            continue
        if column in used or field in used:
            used_forms.add(form)
        else:
            fields_by_form.setdefault(form, []).append(column)
    out = []
    for form, cols in fields_by_form.items():
        if form not in used_forms:
            out.append(
                _warning(
                    file,
                    cols,
                    f"form {show_cell(form)}: {_listing(cols)} not read, as no measure "
                    f"uses the form; map its fields in [data.redcap.fields]{_example(cols)} "
                    "and add a [measures.<id>] for the instrument, or leave the form out of "
                    "the export",
                )
            )
            continue
        numbered = [c for c in cols if "___" not in c and _NUMBERED.match(c)]
        if numbered:
            out.append(
                _warning(
                    file,
                    numbered,
                    f"form {show_cell(form)}: {_listing(numbered)} not read, though "
                    "numbered like items: they match no item of the form's instrument; check "
                    "[data.redcap.fields]",
                )
            )
    return out
