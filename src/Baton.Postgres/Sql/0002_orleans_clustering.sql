-- Clustering (Microsoft.Orleans.Clustering.AdoNet): one version row per deployment (ClusterId)
-- and one row per silo. Every membership change is a compare-and-swap on the version row.

CREATE TABLE orleansmembershipversiontable (
    deploymentid text PRIMARY KEY,
    version      integer NOT NULL DEFAULT 0 CHECK (version >= 0),
    changedat    timestamptz NOT NULL DEFAULT now()
);

-- ON DELETE CASCADE so that dropping a deployment also takes a member row that was inserted
-- after the delete's member sweep, instead of failing on the foreign key.
CREATE TABLE orleansmembershiptable (
    deploymentid text        NOT NULL REFERENCES orleansmembershipversiontable (deploymentid) ON DELETE CASCADE,
    address      text        NOT NULL,
    port         integer     NOT NULL,
    generation   integer     NOT NULL,
    siloname     text        NOT NULL,
    hostname     text        NOT NULL,
    status       integer     NOT NULL,
    proxyport    integer     NOT NULL,
    suspecttimes text        NULL,
    starttime    timestamptz NOT NULL,
    iamalivetime timestamptz NOT NULL,
    PRIMARY KEY (deploymentid, address, port, generation)
);

-- Parameter sets differ per key (the insert has no SuspectTimes, the update has no SiloName,
-- HostName, StartTime or ProxyPort), and a placeholder without a bound parameter fails on the
-- server, so every query below names only the parameters Orleans binds for its key.
INSERT INTO orleansquery (querykey, querytext) VALUES

-- Boolean: 1 when this call created the version row, 0 when it existed. Never raises on an
-- existing row, because an exception here aborts silo start-up.
('InsertMembershipVersionKey', $q$
WITH created AS (
    INSERT INTO orleansmembershipversiontable (deploymentid, version, changedat)
    VALUES (@DeploymentId, 0, now())
    ON CONFLICT (deploymentid) DO NOTHING
    RETURNING 1
)
SELECT count(*)::integer AS created FROM created
$q$),

-- The version row left-joined to the members: at least one row whenever the deployment
-- exists, every row carrying the table version, and a NULL starttime meaning "no members".
('MembershipReadAllKey', $q$
SELECT v.deploymentid, m.address, m.port, m.generation, m.siloname, m.hostname, m.status,
       m.proxyport, m.suspecttimes, m.starttime, m.iamalivetime, v.version
FROM orleansmembershipversiontable AS v
LEFT JOIN orleansmembershiptable AS m ON m.deploymentid = v.deploymentid
WHERE v.deploymentid = @DeploymentId
$q$),

('MembershipReadRowKey', $q$
SELECT v.deploymentid, m.address, m.port, m.generation, m.siloname, m.hostname, m.status,
       m.proxyport, m.suspecttimes, m.starttime, m.iamalivetime, v.version
FROM orleansmembershipversiontable AS v
LEFT JOIN orleansmembershiptable AS m
       ON m.deploymentid = v.deploymentid
      AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
WHERE v.deploymentid = @DeploymentId
$q$),

-- One statement: the version moves from @Version to @Version + 1 only if the silo is not a
-- member yet, and the member row is inserted only from that bump. Concurrent writers queue on
-- the version row and re-check the version, so exactly one of them wins. A member row that
-- appeared without a version bump makes the insert fail, which rolls the bump back too.
('InsertMembershipKey', $q$
WITH bumped AS (
    UPDATE orleansmembershipversiontable AS v
    SET version = v.version + 1, changedat = now()
    WHERE v.deploymentid = @DeploymentId
      AND v.version = @Version
      AND NOT EXISTS (
          SELECT 1 FROM orleansmembershiptable AS m
          WHERE m.deploymentid = @DeploymentId
            AND m.address = @Address AND m.port = @Port AND m.generation = @Generation)
    RETURNING v.deploymentid
), inserted AS (
    INSERT INTO orleansmembershiptable
        (deploymentid, address, port, generation, siloname, hostname, status, proxyport,
         suspecttimes, starttime, iamalivetime)
    SELECT bumped.deploymentid, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort,
           NULL, @StartTime, @IAmAliveTime
    FROM bumped
    RETURNING 1
)
SELECT count(*)::integer AS inserted FROM inserted
$q$),

-- One statement: lock the member row (so it cannot vanish between the bump and the change),
-- bump the version only if it still equals @Version, and change the member only from that bump.
-- Lock order member -> version, the same as every other statement that takes both.
('UpdateMembershipKey', $q$
WITH member AS (
    SELECT m.deploymentid
    FROM orleansmembershiptable AS m
    WHERE m.deploymentid = @DeploymentId
      AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
    FOR UPDATE
), bumped AS (
    UPDATE orleansmembershipversiontable AS v
    SET version = v.version + 1, changedat = now()
    FROM member
    WHERE v.deploymentid = member.deploymentid
      AND v.version = @Version
    RETURNING v.deploymentid
), updated AS (
    UPDATE orleansmembershiptable AS m
    SET status = @Status, suspecttimes = @SuspectTimes, iamalivetime = @IAmAliveTime
    FROM bumped
    WHERE m.deploymentid = bumped.deploymentid
      AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
    RETURNING 1
)
SELECT count(*)::integer AS updated FROM updated
$q$),

-- Heartbeat: only the alive time, never the version.
('UpdateIAmAlivetimeKey', $q$
UPDATE orleansmembershiptable
SET iamalivetime = @IAmAliveTime
WHERE deploymentid = @DeploymentId
  AND address = @Address AND port = @Port AND generation = @Generation
$q$),

-- Orleans' runtime does not filter the port, so a silo without a gateway must not be listed.
('GatewaysQueryKey', $q$
SELECT address, proxyport, generation
FROM orleansmembershiptable
WHERE deploymentid = @DeploymentId
  AND status = @Status
  AND proxyport > 0
$q$),

-- Members first, then the version row: the same lock order as UpdateMembershipKey.
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM orleansmembershiptable WHERE deploymentid = @DeploymentId;
DELETE FROM orleansmembershipversiontable WHERE deploymentid = @DeploymentId
$q$),

-- Only silos that are Dead (6) and silent since before the cutoff; the version is untouched.
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM orleansmembershiptable
WHERE deploymentid = @DeploymentId
  AND status = 6
  AND iamalivetime < @IAmAliveTime
$q$),

-- One dead row, and only if it is exactly what the caller read (null-safe on SuspectTimes).
('CleanupDefunctSiloEntryKey', $q$
DELETE FROM orleansmembershiptable
WHERE deploymentid = @DeploymentId
  AND address = @Address AND port = @Port AND generation = @Generation
  AND status = 6
  AND starttime = @StartTime
  AND iamalivetime = @IAmAliveTime
  AND suspecttimes IS NOT DISTINCT FROM @SuspectTimes
$q$)

ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;
