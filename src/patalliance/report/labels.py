"""Human-readable names of variables (``measure.scale@timepoint``) for tables and figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from patalliance.derive import parse_variable
from patalliance.instruments.key import InstrumentKey
from patalliance.report.identifiers import Pseudonyms
from patalliance.study import Study

_SUFFIXES = {"_change": " change", "_pct": " (% of maximum)"}


@dataclass(frozen=True)
class Labeler:
    """Names variables from the study file (timepoints, measures) and the scoring keys, and
    participants and facilitators as the shareable outputs name them (``ids``)."""

    study: Study
    keys: Mapping[str, InstrumentKey]
    ids: Pseudonyms = field(default_factory=lambda: Pseudonyms(show_ids=True))

    def measure(self, measure: str) -> str:
        """The instrument abbreviation (``WAI-SR``), else the measure's label or id."""
        key = self.keys.get(measure)
        if key is not None:
            return key.instrument.abbreviation
        info = self.study.measures.get(measure)
        return (info.label if info is not None and info.label else None) or measure

    def measure_long(self, measure: str) -> str:
        """The study file's label of the measure (``Therapeutic alliance (WAI-SR)``)."""
        info = self.study.measures.get(measure)
        if info is not None and info.label:
            return info.label
        key = self.keys.get(measure)
        return key.instrument.name if key is not None else measure

    def scale(self, measure: str, scale: str) -> str:
        key = self.keys.get(measure)
        base, suffix = scale, ""
        for end, text in _SUFFIXES.items():
            if scale.endswith(end):
                base, suffix = scale[: -len(end)], text
        label = base.replace("_", " ").capitalize()
        if key is not None:
            for s in key.scales:
                if s.id == base:
                    label = s.label
            for c in key.classifications:
                if c.id == base:
                    label = c.label
        return label + suffix

    def timepoint(self, timepoint: str) -> str:
        return self.study.timepoint_label(timepoint)

    def parts(self, variable: str) -> tuple[str, str, str]:
        """(measure, scale, timepoint) labels; the raw name when it is not a variable name."""
        try:
            m, s, t = parse_variable(variable)
        except ValueError:
            return variable, "", ""
        return self.measure(m), self.scale(m, s), self.timepoint(t)

    def head(self, name: str) -> str:
        """``Depression (GRID-HAMD-17) Total`` style label of ``measure.scale`` (no timepoint);
        a full variable name gets its timepoint too."""
        if "@" in name:
            return self.variable(name)
        measure, dot, scale = name.partition(".")
        if not dot:
            return name
        return f"{self.measure(measure)} {self.scale(measure, scale)}"

    def term(self, term: str) -> str:
        """A model term: ``Intercept``, ``Time: 3 months`` for ``time[fu3m]``, or a variable."""
        if term.startswith("time[") and term.endswith("]"):
            return f"Time: {self.timepoint(term[5:-1])}"
        return self.variable(term) if "@" in term else term

    def variable(self, variable: str) -> str:
        """``WAI-SR Total, Final preparation session``."""
        m, s, t = self.parts(variable)
        if not s:
            return m
        return f"{m} {s}, {t}"

    def short(self, variable: str) -> str:
        """``WAI-SR Total`` (no timepoint)."""
        m, s, _ = self.parts(variable)
        return f"{m} {s}".strip()

    def axis(self, variables: Sequence[str]) -> tuple[list[str], str]:
        """Labels for one axis of a table, and what they share (for the title).

        When every variable is the same measure and scale, the labels are the timepoints and
        the shared part is the measure and scale; when they share the timepoint, the labels
        are the measures; otherwise full labels.
        """
        parsed = [self.parts(v) for v in variables]
        if len(parsed) > 1 and all(p[2] for p in parsed):
            if len({(p[0], p[1]) for p in parsed}) == 1:
                return [p[2] for p in parsed], f"{parsed[0][0]} {parsed[0][1]}"
            if len({p[2] for p in parsed}) == 1:
                return [f"{p[0]} {p[1]}" for p in parsed], parsed[0][2]
        return [self.variable(v) for v in variables], ""


_COUNT_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}


def peak_phrase(study: Study) -> str:
    """How the study's peaks are taken, e.g. ``"the higher score of the two sessions"``; ``""``
    when no measure has a peak (such as a single-session design)."""
    kinds = {
        ("higher" if m.peak == "max" else "lower", len(m.timepoints))
        for m in study.measures.values()
        if m.peak is not None
    }
    if not kinds:
        return ""
    if len(kinds) == 1:
        ((word, n),) = kinds
        return f"the {word} score of the {_COUNT_WORDS.get(n, str(n))} sessions"
    words = sorted({w for w, _ in kinds})
    return f"the {' or '.join(words)} score across each measure's sessions"
