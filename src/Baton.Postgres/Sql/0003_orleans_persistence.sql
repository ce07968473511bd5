-- Grain state (Microsoft.Orleans.Persistence.AdoNet). A row's identity is all seven values
-- Orleans binds: both hashes, both integer key halves, the state name, the key extension and the
-- service. The hashes collide on their own; they lead the index so lookups stay narrow.

CREATE TABLE orleansstorage (
    grainidhash            integer     NOT NULL,
    grainidn0              bigint      NOT NULL,
    grainidn1              bigint      NOT NULL,
    graintypehash          integer     NOT NULL,
    graintypestring        text        NOT NULL,
    grainidextensionstring text        NULL,
    serviceid              text        NOT NULL,
    payloadbinary          bytea       NULL,
    version                integer     NOT NULL,
    modifiedon             timestamptz NOT NULL DEFAULT now(),
    -- NULLS NOT DISTINCT: grains without a key extension (NULL) must collide too, otherwise two
    -- racing first writes leave two rows and every later read fails.
    CONSTRAINT orleansstorage_identity_key UNIQUE NULLS NOT DISTINCT
        (grainidhash, graintypehash, serviceid, grainidn0, grainidn1, graintypestring, grainidextensionstring)
);

-- Versions wrap to 1 at int.MaxValue instead of overflowing: Orleans parses the ETag as int32,
-- and an overflow would fail every later write of that grain.
INSERT INTO orleansquery (querykey, querytext) VALUES

('ReadFromStorageKey', $q$
SELECT s.payloadbinary, s.version
FROM orleansstorage AS s
WHERE s.grainidhash = @GrainIdHash AND s.graintypehash = @GrainTypeHash
  AND s.serviceid = @ServiceId
  AND s.grainidn0 = @GrainIdN0 AND s.grainidn1 = @GrainIdN1
  AND s.graintypestring = @GrainTypeString
  AND s.grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
$q$),

-- Always exactly one row. NewGrainStateVersion is the new version, or NULL on a conflict:
-- a stale version, or a first write (NULL version) that finds the row already there, which
-- the unique constraint turns into DO NOTHING instead of an error or a duplicate.
('WriteToStorageKey', $q$
WITH updated AS (
    UPDATE orleansstorage AS s
    SET payloadbinary = @PayloadBinary,
        version = CASE WHEN s.version = 2147483647 THEN 1 ELSE s.version + 1 END,
        modifiedon = now()
    WHERE @GrainStateVersion IS NOT NULL
      AND s.grainidhash = @GrainIdHash AND s.graintypehash = @GrainTypeHash
      AND s.serviceid = @ServiceId
      AND s.grainidn0 = @GrainIdN0 AND s.grainidn1 = @GrainIdN1
      AND s.graintypestring = @GrainTypeString
      AND s.grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
      AND s.version = @GrainStateVersion
    RETURNING s.version
), inserted AS (
    INSERT INTO orleansstorage
        (grainidhash, grainidn0, grainidn1, graintypehash, graintypestring, grainidextensionstring,
         serviceid, payloadbinary, version, modifiedon)
    SELECT @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString, @GrainIdExtensionString,
           @ServiceId, @PayloadBinary, 1, now()
    WHERE @GrainStateVersion IS NULL
    ON CONFLICT ON CONSTRAINT orleansstorage_identity_key DO NOTHING
    RETURNING version
)
SELECT (SELECT version FROM updated UNION ALL SELECT version FROM inserted) AS newgrainstateversion
$q$),

-- Keeps the row (and so the version history) with a NULL payload. No row on a conflict.
('ClearStorageKey', $q$
UPDATE orleansstorage AS s
SET payloadbinary = NULL,
    version = CASE WHEN s.version = 2147483647 THEN 1 ELSE s.version + 1 END,
    modifiedon = now()
WHERE s.grainidhash = @GrainIdHash AND s.graintypehash = @GrainTypeHash
  AND s.serviceid = @ServiceId
  AND s.grainidn0 = @GrainIdN0 AND s.grainidn1 = @GrainIdN1
  AND s.graintypestring = @GrainTypeString
  AND s.grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
  AND s.version = @GrainStateVersion
RETURNING s.version AS newgrainstateversion
$q$),

-- Returns the deleted version + 1 (as bigint, so int.MaxValue cannot overflow): Orleans only
-- needs a value different from the version it sent. No row on a conflict.
('DeleteStorageKey', $q$
DELETE FROM orleansstorage AS s
WHERE s.grainidhash = @GrainIdHash AND s.graintypehash = @GrainTypeHash
  AND s.serviceid = @ServiceId
  AND s.grainidn0 = @GrainIdN0 AND s.grainidn1 = @GrainIdN1
  AND s.graintypestring = @GrainTypeString
  AND s.grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
  AND s.version = @GrainStateVersion
RETURNING s.version::bigint + 1 AS deletedversion
$q$)

ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;
