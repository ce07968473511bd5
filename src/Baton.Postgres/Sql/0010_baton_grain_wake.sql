-- When a grain must be woken if nobody calls it (a lock's next lease expiry or wait deadline), kept
-- beside its state and written by the same statement (PostgresGrainStorage, IHasWakeTime). NULL when
-- the grain needs no wake. While the grain is active its own timer acts on time; after the silo
-- hosting it died, every silo's PostgresWakeSweeper finds the rows whose time has passed and calls
-- the grain, which activates it elsewhere and lets it catch up. This replaces a reminder row per busy
-- lock (registered on the first grant, deleted after it went idle) by a column of a row that is
-- written anyway.

ALTER TABLE baton_grain_state ADD COLUMN wake_at timestamptz;

CREATE INDEX baton_grain_state_wake ON baton_grain_state (service_id, wake_at) WHERE wake_at IS NOT NULL;
