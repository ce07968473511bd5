-- Placeholder: migration 0005 belongs to the PostgreSQL stream provider (branch wt-streams), which
-- is built in parallel. Migrations must be numbered without gaps, so this branch carries this
-- no-op until that one is merged; when merging, keep wt-streams' 0005 and delete this file.
SELECT 1;
