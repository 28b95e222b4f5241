-- The first gymtui schema (commit 8956377's gymtui/store.py): the eight core tables, user_version 1,
-- no application id. Written by that code through its Store API, then dumped with sqlite3 iterdump.
PRAGMA application_id=0;
PRAGMA user_version=1;
BEGIN TRANSACTION;
CREATE TABLE "athletes" (
   "id" INTEGER PRIMARY KEY,
   "name" TEXT NOT NULL,
   "created_at" TEXT NOT NULL,
   "baseline_rhr_bpm" REAL
);
INSERT INTO "athletes" VALUES(1,'Ana','2026-11-30T18:13:20.581+00:00',NULL);
CREATE TABLE "calibrations" (
   "id" INTEGER PRIMARY KEY,
   "athlete_id" INTEGER NOT NULL REFERENCES "athletes"("id"),
   "kind" TEXT NOT NULL,
   "taken_at" TEXT NOT NULL,
   "source" TEXT,
   "channels" TEXT,
   "values_json" TEXT,
   "window_s" REAL,
   "limb" TEXT,
   "lop_mmhg" REAL
);
INSERT INTO "calibrations" VALUES(1,1,'mvc','2026-11-30T18:13:20.586+00:00','demo','["vl", "vm"]','[410.0, 380.0]',3.0,NULL,NULL);
CREATE TABLE "cuff_events" (
   "id" INTEGER PRIMARY KEY,
   "set_id" INTEGER REFERENCES "sets"("id"),
   "session_id" INTEGER REFERENCES "sessions"("id"),
   "at" TEXT NOT NULL,
   "kind" TEXT NOT NULL,
   "pressure_mmhg" REAL,
   "target_mmhg" REAL,
   "reason" TEXT
);
INSERT INTO "cuff_events" VALUES(1,1,1,'2026-11-30T18:13:20.608+00:00','inflate',120.0,150.0,'set');
INSERT INTO "cuff_events" VALUES(2,1,1,'2026-11-30T18:13:20.611+00:00','deflate',0.0,NULL,'end');
CREATE TABLE "phases" (
   "id" INTEGER PRIMARY KEY,
   "set_id" INTEGER NOT NULL REFERENCES "sets"("id"),
   "idx" INTEGER NOT NULL,
   "kind" TEXT NOT NULL,
   "name" TEXT,
   "planned_s" REAL,
   "started_at" TEXT NOT NULL,
   "ended_at" TEXT,
   "duration_s" REAL,
   "ended_by" TEXT,
   "peak_pct_mvc" REAL,
   "mean_pct_mvc" REAL,
   "metrics" TEXT
);
INSERT INTO "phases" VALUES(1,1,0,'activation','Wake up',20.0,'2026-11-02T09:00:00.000+01:00','2026-11-30T18:13:20.593+00:00',20.0,'timer',55.0,30.0,'{"cci_pct": 12.0}');
CREATE TABLE "reps" (
   "id" INTEGER PRIMARY KEY,
   "set_id" INTEGER NOT NULL REFERENCES "sets"("id"),
   "idx" INTEGER NOT NULL,
   "start_s" REAL,
   "end_s" REAL,
   "peak_pct_mvc" REAL,
   "mean_pct_mvc" REAL,
   "target_share" REAL,
   "perfect" INTEGER
);
INSERT INTO "reps" VALUES(1,1,0,1.0,3.0,60.0,33.0,0.7,1);
CREATE TABLE "sessions" (
   "id" INTEGER PRIMARY KEY,
   "athlete_id" INTEGER NOT NULL REFERENCES "athletes"("id"),
   "started_at" TEXT NOT NULL,
   "ended_at" TEXT,
   "template" TEXT,
   "notes" TEXT
);
INSERT INTO "sessions" VALUES(1,1,'2026-11-30T18:13:20.585+00:00','2026-11-30T18:13:20.617+00:00','upper',NULL);
CREATE TABLE "sets" (
   "id" INTEGER PRIMARY KEY,
   "session_id" INTEGER REFERENCES "sessions"("id"),
   "athlete_id" INTEGER NOT NULL REFERENCES "athletes"("id"),
   "exercise" TEXT NOT NULL,
   "protocol" TEXT,
   "load_kg" REAL,
   "reps" INTEGER,
   "activation_rating" INTEGER,
   "status" TEXT NOT NULL,
   "started_at" TEXT NOT NULL,
   "ended_at" TEXT,
   "rated_at" TEXT,
   "peak_pct_mvc" REAL,
   "mean_pct_mvc" REAL,
   "target_share" REAL,
   "cci_pct" REAL,
   "time_above_target_s" REAL,
   "perfect_reps" INTEGER,
   "mf_slope_hz_per_s" REAL,
   "quality_flags" TEXT,
   "channels" TEXT,
   "pipeline" TEXT,
   "calibration_id" INTEGER REFERENCES "calibrations"("id"),
   "notes" TEXT
);
INSERT INTO "sets" VALUES(1,1,1,'squat','guided',80.0,8,7,'completed','2026-11-30T18:13:20.589+00:00','2026-11-30T18:13:20.600+00:00','2026-11-30T18:13:20.607+00:00',61.5,NULL,NULL,NULL,NULL,NULL,NULL,'["ok"]','[{"label": "vl"}]','{}',1,NULL);
CREATE TABLE "signal_blocks" (
   "id" INTEGER PRIMARY KEY,
   "set_id" INTEGER NOT NULL REFERENCES "sets"("id"),
   "seq" INTEGER NOT NULL,
   "t0_s" REAL,
   "rate_hz" REAL NOT NULL,
   "dtype" TEXT NOT NULL,
   "n_samples" INTEGER NOT NULL,
   "n_channels" INTEGER NOT NULL,
   "lost_samples" INTEGER,
   "data" BLOB NOT NULL
);
INSERT INTO "signal_blocks" VALUES(1,1,0,0.0,1000.0,'<f4',4,2,0,X'000000000000803F0000004000004040000080400000A0400000C0400000E040');
CREATE INDEX "idx_sessions_athlete_id"
    ON "sessions" ("athlete_id");
CREATE INDEX "idx_sets_session_id"
    ON "sets" ("session_id");
CREATE INDEX "idx_sets_athlete_id"
    ON "sets" ("athlete_id");
CREATE INDEX "idx_sets_calibration_id"
    ON "sets" ("calibration_id");
CREATE INDEX "idx_calibrations_athlete_id"
    ON "calibrations" ("athlete_id");
CREATE INDEX "idx_phases_set_id"
    ON "phases" ("set_id");
CREATE INDEX "idx_reps_set_id"
    ON "reps" ("set_id");
CREATE INDEX "idx_signal_blocks_set_id"
    ON "signal_blocks" ("set_id");
CREATE INDEX "idx_cuff_events_set_id"
    ON "cuff_events" ("set_id");
CREATE INDEX "idx_cuff_events_session_id"
    ON "cuff_events" ("session_id");
CREATE INDEX "idx_sets_exercise_started_at"
    ON "sets" ("exercise", "started_at");
CREATE INDEX "idx_sets_status"
    ON "sets" ("status");
COMMIT;
