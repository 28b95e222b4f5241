"""``gymtui coach``: one tile per rack, live, for the coach's screen or tablet."""
