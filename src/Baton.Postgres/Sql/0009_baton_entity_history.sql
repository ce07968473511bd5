-- Entity field history and remembered answers, kept outside the entity's state blob (which is
-- rewritten on every change) so that a write costs the same however long the history grows.
--
-- A write appends its rows BEFORE its state write, without a shared transaction. Readers see a row
-- only when the entity's persisted state covers it: version < the state's version, or version equal
-- to it and change_id equal to the change the state records (IEntityHistoryStore, EntityVisibility).
-- Rows of a write whose state write failed or never happened are therefore invisible, and the next
-- write (which names the change that made the previous version) deletes them. Appends are
-- idempotent: ON CONFLICT DO NOTHING on keys that include the change id.
--
-- Retention (Baton:Entities:History MaxAge / MaxTransitions, each field's latest transition always
-- kept) and the answer memory (RememberedRequests / RememberRequestsFor) are applied per entity by
-- the entity itself every PruneEvery versions; see EntityHistoryOptions.

-- Field transitions, values masked (secret fields and run secrets are "***"); from/to are JSON
-- text, NULL when the field was absent. COLLATE "C": fields order ordinally, as in the API.
CREATE TABLE baton_entity_history (
    entity     text COLLATE "C" NOT NULL,
    version    bigint           NOT NULL,
    field      text COLLATE "C" NOT NULL,
    change_id  text COLLATE "C" NOT NULL,
    from_value text,
    to_value   text,
    at         timestamptz      NOT NULL,
    actor      text             NOT NULL,
    PRIMARY KEY (entity, version, field, change_id)
);

-- History of one field (GET .../history?field=, TransitionCount).
CREATE INDEX baton_entity_history_field ON baton_entity_history (entity, field, version);

-- The answer each request id got, so a retry gets it again: the writer's own answer, state with real
-- values (as in the grain state, not as in history). change_id is '' for a no-op answer, which
-- makes no version and is visible as soon as its version is.
CREATE TABLE baton_entity_requests (
    entity         text COLLATE "C" NOT NULL,
    request_id     text COLLATE "C" NOT NULL,
    change_id      text COLLATE "C" NOT NULL,
    version        bigint           NOT NULL,
    fingerprint    text             NOT NULL,
    at             timestamptz      NOT NULL,
    state          text             NOT NULL,
    changed_fields text             NOT NULL,
    created        boolean          NOT NULL,
    PRIMARY KEY (entity, request_id, change_id)
);
