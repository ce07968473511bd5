-- The event log becomes the durable stream queue (stream provider "baton" in Postgres mode).
--
-- Before, a published event was written three times: to baton_stream_queue (insert, then a claim
-- and a delete by the reader) and once more to baton_event_log by a subscriber grain. Now a
-- publish is one row in baton_event_log that names its queue; each queue is read in position
-- order by the one reader that holds the queue's lease in baton_stream_cursor, and "removed from
-- the queue" means the queue's cursor has passed it: delivered_through only moves past an event
-- once Orleans reported it delivered to every subscriber. The row stays in the log for the feed
-- until the log's retention evicts it.
--
-- service_id and queue_id are null for events logged outside a stream (no reader delivers them).
-- stream_key is null when the stream's key is the event's subject (the usual case).

ALTER TABLE baton_event_log
    ADD COLUMN service_id text    NULL,
    ADD COLUMN queue_id   integer NULL,
    ADD COLUMN stream_key text    NULL;

-- A queue reader's scan: the next positions of one queue of one service.
CREATE INDEX baton_event_log_queue ON baton_event_log (service_id, queue_id, position);

-- One row per queue: how far its events were delivered, and which reader holds it.
CREATE TABLE baton_stream_cursor (
    service_id        text        NOT NULL,
    queue_id          integer     NOT NULL,
    delivered_through bigint      NOT NULL DEFAULT 0,
    lease_owner       text        NULL,
    leased_until      timestamptz NOT NULL DEFAULT '-infinity',
    PRIMARY KEY (service_id, queue_id)
);

-- The row-per-publish queue is gone; so are its dead letters, which held Orleans-serialized rows.
DROP TABLE baton_stream_queue;
DROP TABLE baton_stream_dead_letter;

-- Events a queue gave up on after MaxAttempts failed deliveries, with why. The cursor moved past
-- them; the log still holds them (until retention) under the same position.
CREATE TABLE baton_stream_dead_letter (
    service_id  text        NOT NULL,
    position    bigint      NOT NULL,
    queue_id    integer     NOT NULL,
    event_id    text        NOT NULL,
    namespace   text        NOT NULL,
    stream_key  text        NOT NULL,
    type        text        NOT NULL,
    sequence    bigint      NOT NULL,
    payload     text        NOT NULL,
    attempts    integer     NOT NULL,
    reason      text        NOT NULL,
    failed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, position)
);

CREATE INDEX baton_stream_dead_letter_failed ON baton_stream_dead_letter (service_id, queue_id, failed_at);
