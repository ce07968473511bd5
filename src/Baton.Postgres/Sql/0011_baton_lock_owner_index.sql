-- The owner index of Postgres mode: what each owner holds and waits for, one row per lease held and
-- per request queued. Each lock writes its own rows in the same statement as its state (a side write
-- of PostgresGrainStorage, only if the state write passed its version check), so the index is exact
-- at every commit: no stream, router or owner grain in between, and no lag behind the locks.
--
-- entry is 'held:' || lease id or 'wait:' || request id; payload is the LockLease or OwnerWait as JSON.

CREATE TABLE baton_lock_owner_index (
    service_id text             NOT NULL,
    lock_key   text COLLATE "C" NOT NULL,
    entry      text COLLATE "C" NOT NULL,
    owner      text COLLATE "C" NOT NULL,
    held       boolean          NOT NULL,
    payload    text             NOT NULL,
    PRIMARY KEY (service_id, lock_key, entry)
);

CREATE INDEX baton_lock_owner_index_owner ON baton_lock_owner_index (service_id, owner, lock_key);
