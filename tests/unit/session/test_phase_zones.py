"""Target zones on work phases: from protocol files and day templates, checked with one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from gymtui.model import PhaseKind
from gymtui.session.exercises import load_library
from gymtui.session.protocol import ProtocolError, builtin_protocol, parse_protocol
from gymtui.session.templates import (
    LoadBook,
    activation_sets,
    builtin_templates,
    finisher_sets,
    load_templates,
)

HOLD = '[protocol]\nname = "x"\n\n[[phase]]\nkind = "isometric"\nseconds = 10\ntarget_pct_mvc = 50\nzone_pct = ZONE\n'


def test_a_phase_carries_its_zone_beside_its_target_line() -> None:
    [phase] = parse_protocol(HOLD.replace("ZONE", "[60, 80]"), "p.toml").phases
    assert (phase.kind, phase.target_pct_mvc, phase.zone_pct) == (PhaseKind.ISOMETRIC, 50, (60.0, 80.0))
    [plain] = parse_protocol(HOLD.replace("zone_pct = ZONE\n", ""), "p.toml").phases
    assert plain.zone_pct is None


@pytest.mark.parametrize(
    ("zone", "problem"),
    [
        ("[80, 60]", "p.toml:8: phase[1].zone_pct: must be [low, high] with low below high, in % MVC, got [80, 60]"),
        ("[70, 70]", "p.toml:8: phase[1].zone_pct: must be [low, high] with low below high, in % MVC, got [70, 70]"),
        ("[60, 200]", "p.toml:8: phase[1].zone_pct: must be [low, high] in % MVC, 0–150, got [60, 200]"),
        ("[60]", "p.toml:8: phase[1].zone_pct: must be [low, high] in % MVC, 0–150, got [60]"),
        ('"60-80"', "p.toml:8: phase[1].zone_pct: must be [low, high] in % MVC, 0–150, got '60-80'"),
    ],
)
def test_a_bad_zone_is_one_line_naming_file_line_phase_and_value(zone: str, problem: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(HOLD.replace("ZONE", zone), "p.toml")
    assert str(caught.value) == problem


def test_a_rest_has_no_zone() -> None:
    text = HOLD.replace("ZONE", "[60, 80]") + '\n[[phase]]\nkind = "rest"\nseconds = 60\nzone_pct = [10, 20]\n'
    with pytest.raises(ProtocolError, match=r"^p.toml:13: phase\[2\].zone_pct: a rest phase has no target zone \(only work phases do\)$"):
        parse_protocol(text, "p.toml")


def test_the_shipped_finisher_aims_each_work_phase_at_a_zone() -> None:
    finisher = builtin_protocol("finisher")
    assert [(p.kind, p.target_pct_mvc, p.zone_pct) for p in finisher.phases] == [
        (PhaseKind.ACTIVATION, 40, (40.0, 60.0)),
        (PhaseKind.ECCENTRIC, 30, (30.0, 50.0)),
        (PhaseKind.ISOMETRIC, 50, (60.0, 80.0)),
        (PhaseKind.REST, None, None),
    ]


def test_template_sets_carry_the_guides_zones_and_a_templates_own() -> None:
    library = load_library()
    lower = builtin_templates(library)["lower"]
    hold_set, eccentric_set = finisher_sets(lower.data["finisher"], library, LoadBook(), 2)
    assert [(p.kind, p.target_pct_mvc, p.zone_pct) for p in hold_set.protocol.phases if p.is_work] == [
        (PhaseKind.REPS, None, None),
        (PhaseKind.ISOMETRIC, 50.0, (60.0, 80.0)),
    ]
    assert {(p.kind, p.target_pct_mvc, p.zone_pct) for p in eccentric_set.protocol.phases if p.is_work} == {
        (PhaseKind.ECCENTRIC, 30.0, (30.0, 50.0)),
    }
    first = activation_sets(lower, library, 300)[0]
    assert {(p.kind, p.target_pct_mvc, p.zone_pct) for p in first.protocol.phases if p.is_work} == {
        (PhaseKind.ACTIVATION, 40.0, (40.0, 60.0)),
    }
    own = finisher_sets({**lower.data["finisher"], "hold_zone_pct": [70, 90]}, library, LoadBook(), 1)[0]
    assert [p.zone_pct for p in own.protocol.phases if p.kind is PhaseKind.ISOMETRIC] == [(70.0, 90.0)]


def test_a_templates_reversed_zone_is_refused_with_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    path = folder / "legs.toml"
    path.write_text(
        '[template]\nname = "My legs"\nfocus = "lower"\n[[compound]]\nexercise = "back_squat"\n'
        '[finisher]\nexercise = "lying_leg_curl"\nhold_zone_pct = [80, 60]\n'
    )
    templates, problems = load_templates(load_library(), folder)
    assert problems == [f"{path}:8: finisher.hold_zone_pct: must be [low, high] with low below high, in % MVC, got [80, 60]"]
    assert templates["lower"].name == "Lower body"
