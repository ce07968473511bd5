-- The event log behind the resumable change feed (GET /api/v1/events, IEventFeedGrain).
--
-- position is the global order and the feed's cursor. Appenders take a transaction-scoped
-- advisory lock before they insert, so positions are drawn and committed in the same order and a
-- reader's snapshot always holds a prefix of the log: nothing can appear later behind a position
-- a reader has already passed. A redelivered event (same event_id) is skipped, which leaves a gap
-- in position; gaps are harmless.
--
-- payload is text, not jsonb: it is served byte for byte as the publisher wrote it.
-- appended_at (the appending silo's clock) drives retention; occurred_at is the event's own time.

CREATE TABLE baton_event_log (
    position    bigserial   PRIMARY KEY,
    event_id    text        NOT NULL UNIQUE,
    namespace   text        NOT NULL,
    type        text        NOT NULL,
    subject     text        NOT NULL,
    sequence    bigint      NOT NULL,
    occurred_at timestamptz NOT NULL,
    actor       text,
    payload     text        NOT NULL,
    appended_at timestamptz NOT NULL
);

CREATE INDEX baton_event_log_appended_at ON baton_event_log (appended_at);

-- One row: every position up to and including evicted_through has been evicted. A cursor below
-- it is expired ("re-list"); this survives an empty table, where min(position) would not.
CREATE TABLE baton_event_log_horizon (
    id              integer PRIMARY KEY CHECK (id = 1),
    evicted_through bigint  NOT NULL
);

INSERT INTO baton_event_log_horizon (id, evicted_through) VALUES (1, 0);
