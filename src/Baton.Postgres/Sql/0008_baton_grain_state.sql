-- Grain state of Baton's own grains (storage "baton" in Postgres mode; see PostgresGrainStorage).
--
-- One row per grain state, written by one etag-checked statement: version is the etag, and a write
-- names the version it read. Concurrent writes of a silo share one transaction (group commit), and
-- a write whose state carries outbox events appends them to baton_event_log in that same transaction
-- and only if the state write itself succeeded, so a change and the events it caused are stored
-- together or not at all.
--
-- payload is the state as Orleans' binary serializer wrote it (version tolerant by [Id]).

CREATE TABLE baton_grain_state (
    service_id  text        NOT NULL,
    grain_id    text        NOT NULL,
    state_name  text        NOT NULL,
    version     bigint      NOT NULL,
    payload     bytea       NOT NULL,
    written_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, grain_id, state_name)
);
