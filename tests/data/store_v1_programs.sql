-- The programs schema before the application-id marker (commit 35f050e's gymtui/store.py): core and
-- programs tables, user_version 1, application_id 0. Written through that code's Store API, dumped with iterdump.
PRAGMA application_id=0;
PRAGMA user_version=1;
BEGIN TRANSACTION;
CREATE TABLE "athlete_flags" (
   "athlete_id" INTEGER NOT NULL REFERENCES "athletes"("id"),
   "key" TEXT NOT NULL,
   "value" TEXT,
   "set_at" TEXT NOT NULL,
   PRIMARY KEY ("athlete_id", "key")
);
INSERT INTO "athlete_flags" VALUES(1,'disclaimer_seen','1','2026-11-30T18:13:24.277+00:00');
CREATE TABLE "athletes" (
   "id" INTEGER PRIMARY KEY,
   "name" TEXT NOT NULL,
   "created_at" TEXT NOT NULL,
   "baseline_rhr_bpm" REAL
);
INSERT INTO "athletes" VALUES(1,'Ana','2026-11-30T18:13:24.202+00:00',54.0);
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
INSERT INTO "calibrations" VALUES(1,1,'mvc','2026-11-30T18:13:24.205+00:00','demo','["vl", "vm"]','[410.0, 380.0]',3.0,NULL,NULL);
INSERT INTO "calibrations" VALUES(2,1,'lop','2026-11-30T18:13:24.245+00:00','manual',NULL,NULL,NULL,'leg',210.0);
CREATE TABLE "checkins" (
   "id" INTEGER PRIMARY KEY,
   "athlete_id" INTEGER NOT NULL REFERENCES "athletes"("id"),
   "session_id" INTEGER REFERENCES "sessions"("id"),
   "taken_at" TEXT NOT NULL,
   "sleep_h" REAL,
   "resting_hr_bpm" REAL,
   "baseline_rhr_bpm" REAL,
   "coordination" INTEGER,
   "mood" INTEGER,
   "advice" TEXT NOT NULL,
   "reasons" TEXT,
   "choice" TEXT
);
INSERT INTO "checkins" VALUES(1,1,1,'2026-11-30T18:13:24.266+00:00',7.5,52.0,NULL,NULL,NULL,'train','["slept"]',NULL);
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
INSERT INTO "cuff_events" VALUES(1,1,1,'2026-11-30T18:13:24.233+00:00','inflate',120.0,150.0,'set');
INSERT INTO "cuff_events" VALUES(2,1,1,'2026-11-30T18:13:24.237+00:00','deflate',0.0,NULL,'end');
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
INSERT INTO "phases" VALUES(1,1,0,'activation','Wake up',20.0,'2026-11-02T09:00:00.000+01:00','2026-11-30T18:13:24.213+00:00',20.0,'timer',55.0,30.0,'{"cci_pct": 12.0}');
CREATE TABLE "plans" (
   "id" INTEGER PRIMARY KEY,
   "athlete_id" INTEGER NOT NULL REFERENCES "athletes"("id"),
   "program" TEXT NOT NULL,
   "started_on" TEXT NOT NULL,
   "maintenance_every_weeks" INTEGER,
   "created_at" TEXT NOT NULL,
   "ended_on" TEXT
);
INSERT INTO "plans" VALUES(1,1,'hypertrophy','2026-11-02',2,'2026-11-30T18:13:24.250+00:00',NULL);
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
   "notes" TEXT,
   "plan_id" INTEGER REFERENCES "plans"("id")
, "focus" TEXT, "kind" TEXT);
INSERT INTO "sessions" VALUES(1,1,'2026-11-30T18:13:24.203+00:00','2026-11-30T18:13:24.241+00:00','upper',NULL,1,'legs','training');
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
, "workflow_phase" TEXT, "pct_1rm" REAL, "set_number" INTEGER);
INSERT INTO "sets" VALUES(1,1,1,'squat','guided',80.0,8,7,'completed','2026-11-30T18:13:24.209+00:00','2026-11-30T18:13:24.225+00:00','2026-11-30T18:13:24.229+00:00',61.5,NULL,NULL,NULL,NULL,NULL,NULL,'["ok"]','[{"label": "vl"}]','{}',1,NULL,'compound',0.75,1);
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
CREATE TABLE "suggestions" (
   "id" INTEGER PRIMARY KEY,
   "athlete_id" INTEGER NOT NULL REFERENCES "athletes"("id"),
   "set_id" INTEGER NOT NULL REFERENCES "sets"("id"),
   "next_set_id" INTEGER REFERENCES "sets"("id"),
   "kind" TEXT NOT NULL,
   "reason" TEXT,
   "from_kg" REAL,
   "to_kg" REAL,
   "created_at" TEXT NOT NULL,
   "taken" INTEGER,
   "answered_at" TEXT
);
INSERT INTO "suggestions" VALUES(1,1,1,NULL,'load','all reps perfect',80.0,82.5,'2026-11-30T18:13:24.269+00:00',1,'2026-11-30T18:13:24.273+00:00');
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
CREATE INDEX "idx_sessions_athlete_id"
    ON "sessions" ("athlete_id");
CREATE INDEX "idx_plans_athlete_id"
    ON "plans" ("athlete_id");
CREATE INDEX "idx_checkins_athlete_id"
    ON "checkins" ("athlete_id");
CREATE INDEX "idx_checkins_session_id"
    ON "checkins" ("session_id");
CREATE INDEX "idx_suggestions_athlete_id"
    ON "suggestions" ("athlete_id");
CREATE INDEX "idx_suggestions_set_id"
    ON "suggestions" ("set_id");
CREATE INDEX "idx_suggestions_next_set_id"
    ON "suggestions" ("next_set_id");
CREATE INDEX "idx_sessions_plan_id"
    ON "sessions" ("plan_id");
CREATE VIEW "set_log" AS SELECT s.id AS set_id, s.athlete_id, a.name AS athlete, s.session_id,
       substr(s.started_at, 1, 10) AS day, strftime('%Y-W%W', substr(s.started_at, 1, 10)) AS week,
       s.exercise, s.workflow_phase, s.load_kg, s.pct_1rm, s.reps, s.activation_rating,
       s.peak_pct_mvc, s.mean_pct_mvc, s.target_share, s.cci_pct, s.perfect_reps, s.status
FROM sets s JOIN athletes a ON a.id = s.athlete_id
WHERE s.status != 'discarded';
CREATE VIEW "activation_by_week" AS SELECT athlete_id, exercise, week, count(*) AS sets,
       round(avg(activation_rating), 2) AS mean_rating,
       round(avg(peak_pct_mvc), 1) AS mean_peak_pct_mvc,
       round(avg(target_share), 3) AS mean_target_share,
       sum(perfect_reps) AS perfect_reps, max(load_kg) AS top_load_kg
FROM set_log WHERE status = 'completed' GROUP BY athlete_id, exercise, week;
COMMIT;
