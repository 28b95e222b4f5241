"""The perfect-rep goal's log: completed sets whose reps were judged, oldest first, one athlete's, one exercise's."""

from __future__ import annotations

from pathlib import Path

from gymtui.store import SetStatus, Store


def test_judged_sets_are_the_completed_sets_with_a_perfect_rep_count_oldest_first(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    ana, ben = store.ensure_athlete("Ana"), store.ensure_athlete("Ben")

    def logged(athlete: int, day: str, values: dict[str, object], status: SetStatus = SetStatus.COMPLETED, exercise: str = "Leg extension") -> None:
        set_id = store.start_set(athlete, exercise, "p", load_kg=40.0)
        store.finish_set(set_id, status, values)
        store.update_set(set_id, {"started_at": f"{day}T10:00:00.000+00:00"})

    logged(ana, "2026-11-09", {"reps": 6, "perfect_reps": 4})
    logged(ana, "2026-11-02", {"reps": 6, "perfect_reps": 3})
    logged(ana, "2026-11-03", {"reps": 8})  # no judgement: not in the goal's log
    logged(ana, "2026-11-04", {"reps": 6, "perfect_reps": 6}, SetStatus.ABORTED)
    logged(ana, "2026-11-05", {"reps": 6, "perfect_reps": 6}, exercise="Back squat")
    logged(ben, "2026-11-05", {"reps": 6, "perfect_reps": 6})
    logged(ana, "2026-11-09", {"reps": 6, "perfect_reps": 6, "set_type": "warmup"})  # a warm-up sets no goal
    assert store.judged_sets(ana, "Leg extension") == [
        {"started_at": "2026-11-02T10:00:00.000+00:00", "reps": 6, "perfect_reps": 3},
        {"started_at": "2026-11-09T10:00:00.000+00:00", "reps": 6, "perfect_reps": 4},
    ]
    store.close()


def test_a_week_of_history_leaves_warm_ups_out_of_its_sets_rating_and_top_load(tmp_path: Path) -> None:
    store = Store(tmp_path / "gym.db")
    ana = store.ensure_athlete("Ana")
    for load_kg, rating, set_type in ((100.0, 7, "normal"), (120.0, 3, "warmup"), (105.0, 9, "normal")):
        set_id = store.start_set(ana, "Back squat", "p", load_kg=load_kg)
        store.finish_set(set_id, SetStatus.COMPLETED, {"reps": 5, "activation_rating": rating, "set_type": set_type})
        store.update_set(set_id, {"started_at": "2026-11-04T10:00:00.000+00:00"})
    [week] = store.exercise_weeks(ana, "Back squat")
    assert (week["week_of"], week["sets"], week["mean_rating"], week["top_load_kg"]) == ("2026-11-02", 2, 8.0, 105.0)
    store.close()
