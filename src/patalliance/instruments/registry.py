"""Find the scoring key of every measure in a study: a user key file or a shipped key."""

from __future__ import annotations

from patalliance.errors import ConfigError
from patalliance.instruments.key import InstrumentKey, builtin_keys, load_key
from patalliance.study import Study, suggest


def resolve_keys(study: Study) -> dict[str, InstrumentKey]:
    """The scoring key of each measure, by measure id.

    A measure's ``key = "path.toml"`` (relative to the study file) names a user key file,
    whose ``instrument.id`` must equal the measure's ``instrument``. Otherwise the shipped key
    of that instrument is used.

    Raises
    ------
    ConfigError
        For an unknown instrument or a user key that does not load or does not match.
    """
    shipped = builtin_keys()
    keys: dict[str, InstrumentKey] = {}
    for mid, measure in study.measures.items():
        if measure.key is not None:
            key = load_key(study.resolve(measure.key))
            if key.id != measure.instrument:
                raise ConfigError(
                    f"{study.path}: measures.{mid}.key: the key file {measure.key!r} is for "
                    f"instrument {key.id!r}, but measures.{mid}.instrument is "
                    f"{measure.instrument!r}; make them the same."
                )
        elif measure.instrument in shipped:
            key = shipped[measure.instrument]
        else:
            raise ConfigError(
                f"{study.path}: measures.{mid}.instrument: unknown instrument "
                f"{measure.instrument!r}{suggest(measure.instrument, set(shipped))}; shipped "
                f"keys: {', '.join(sorted(shipped))}. For your own instrument, add "
                f'key = "path/to/key.toml" to [measures.{mid}].'
            )
        keys[mid] = key
    by_instrument: dict[str, str] = {}
    for mid, measure in study.measures.items():
        other = by_instrument.setdefault(measure.instrument, mid)
        if other != mid and set(study.measures[other].timepoints) & set(measure.timepoints):
            raise ConfigError(
                f"{study.path}: measures.{mid} and measures.{other} both use instrument "
                f"{measure.instrument!r} at the same timepoint; a response row could not be "
                "assigned to one measure."
            )
    return keys
