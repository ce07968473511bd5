-- Baton's durable stream queue (stream provider "baton" in Postgres mode). One table holds
-- every queue of every service; a row is one batch of events for one stream, as the Orleans
-- serializer wrote it. A row is visible to readers when leased_until <= now(): it is inserted
-- visible, a reader leases it for a while when it claims it, and deletes it once Orleans has
-- delivered it to every subscriber. A lapsed lease (the reader died) makes it visible again.

CREATE TABLE baton_stream_queue (
    id               bigserial   PRIMARY KEY,
    service_id       text        NOT NULL,
    queue_id         integer     NOT NULL,
    stream_namespace text        NULL,
    stream_key       text        NOT NULL,
    payload          bytea       NOT NULL,
    enqueued_at      timestamptz NOT NULL DEFAULT now(),
    -- Doubles as "visible after": a new row and a released row are visible from this time on.
    leased_until     timestamptz NOT NULL DEFAULT now(),
    lease_owner      text        NULL,
    -- How many times a reader claimed the row; at max_attempts it goes to the dead-letter table.
    attempts         integer     NOT NULL DEFAULT 0,
    last_error       text        NULL
);

-- The claim: the next rows of one queue in id order, skipping the leased ones at the head.
CREATE INDEX baton_stream_queue_next ON baton_stream_queue (service_id, queue_id, id) INCLUDE (leased_until);

-- Per-stream order check of the claim: older rows of the same stream.
CREATE INDEX baton_stream_queue_stream ON baton_stream_queue (service_id, queue_id, stream_key, id);

-- Lease renewal by the reader that holds the rows.
CREATE INDEX baton_stream_queue_owner ON baton_stream_queue (lease_owner) WHERE lease_owner IS NOT NULL;

-- The retention sweep.
CREATE INDEX baton_stream_queue_enqueued ON baton_stream_queue (service_id, queue_id, enqueued_at);

-- Rows that will not be handed out again, with why. The id is the queue row's id.
CREATE TABLE baton_stream_dead_letter (
    id               bigint      PRIMARY KEY,
    service_id       text        NOT NULL,
    queue_id         integer     NOT NULL,
    stream_namespace text        NULL,
    stream_key       text        NOT NULL,
    payload          bytea       NOT NULL,
    enqueued_at      timestamptz NOT NULL,
    leased_until     timestamptz NOT NULL,
    lease_owner      text        NULL,
    attempts         integer     NOT NULL,
    last_error       text        NULL,
    reason           text        NOT NULL,
    failed_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX baton_stream_dead_letter_queue ON baton_stream_dead_letter (service_id, queue_id, id);

CREATE INDEX baton_stream_dead_letter_failed ON baton_stream_dead_letter (service_id, failed_at);
