"""Participants-file column names that an export cannot write as they are.

``patalliance export`` writes the participants file's own columns (covariates such as ``age``)
beside the columns it writes itself. A column with the name of one of those, or with a name
the target format does not allow, is a configuration error before anything is written.
"""

from __future__ import annotations

import re

from patalliance.errors import ConfigError
from patalliance.pipeline import Prepared

__all__ = ["check_column_names"]

#: Names each format gives a variable (SPSS, Stata, SAS transport version 8).
_FORMAT_NAMES = {
    "sav": (re.compile(r"[A-Za-z@#$][A-Za-z0-9_.@#$]{0,63}"), "SPSS names: up to 64 "
            "characters, starting with a letter, then letters, digits, _ . @ # $, no spaces"),
    "dta": (re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}"), "Stata names: up to 32 characters, "
            "letters, digits and _, not starting with a digit, no spaces"),
    "xpt": (re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}"), "SAS names: up to 32 characters, "
            "letters, digits and _, not starting with a digit, no spaces"),
}  # fmt: skip
#: Columns the REDCap and SDTM exports write themselves.
_REDCAP_OWN = {
    "record_id",
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "redcap_survey_identifier",
}
_SDTM_OWN = {"STUDYID", "DOMAIN", "USUBJID", "SUBJID", "ARMCD", "ARM"}  # fmt: skip


def check_column_names(prepared: Prepared, to: str) -> None:
    """ConfigError naming a participants-file column the export cannot write as it is: one
    whose name the export uses for its own columns (``timepoint``, an item column such as
    ``wai_sr_1``, REDCap's ``record_id`` or a form's ``*_complete``, SDTM's ``USUBJID``), or
    one that breaks the target format's naming rules. Nothing is written in that case."""
    participants_file = prepared.study.data.participants or "participants file"
    instruments = sorted(set(prepared.validated.responses["instrument"]))
    item_column = re.compile("(" + "|".join(map(re.escape, instruments)) + r")_\d+")
    own = {"participant_id", "arm", "_file", "_row"}
    for name in (c for c in prepared.validated.participants.columns if c not in own):
        if to == "sdtm":  # the participants' columns go to DM only, beside DM's own
            clash = name.upper() in _SDTM_OWN
        else:  # one row per participant x timepoint, items as columns
            clash = name == "timepoint" or bool(instruments and item_column.fullmatch(name))
        if to == "redcap":
            clash = clash or name in _REDCAP_OWN or name.endswith("_complete")
        if clash:
            raise ConfigError(
                f"{participants_file}: column {name!r}: the {to} export writes a column of that "
                "name itself, so this one would overwrite it or be lost. Rename the column in "
                "the participants file (e.g. to "
                f"'{name.lower()}_value') and export again."
            )
        rule = _FORMAT_NAMES.get(to)
        if rule is not None and not rule[0].fullmatch(name):
            raise ConfigError(
                f"{participants_file}: column {name[:80]!r} cannot be a variable name in a "
                f".{to} file ({rule[1]}). Rename the column in the participants file and "
                "export again."
            )
