-- The event log's time index becomes a BRIN index.
--
-- appended_at is read by one query only: the retention sweep, which looks for the newest position appended
-- before its cutoff (PostgresEventLog.EvictAsync), once a minute per silo. Rows arrive in about time order, so a
-- block range summary (min and max appended_at per 128 pages) finds the old ranges as well as a B-tree entry per
-- row did, while an append no longer inserts into a B-tree: every lock grant and release, every entity change and
-- every other event paid for that entry. autosummarize asks autovacuum to summarize each range as it fills, so the
-- sweep scans at most the newest, unsummarized range besides the ones it evicts.

DROP INDEX baton_event_log_appended_at;

CREATE INDEX baton_event_log_appended_at ON baton_event_log USING brin (appended_at) WITH (autosummarize = on);
