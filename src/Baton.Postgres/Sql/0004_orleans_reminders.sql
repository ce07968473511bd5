-- Reminders (Microsoft.Orleans.Reminders.AdoNet). grainhash is the grain's uint ring hash
-- reinterpreted as a signed int, and is compared as signed, exactly as Orleans picks the
-- range query. period is in milliseconds and may exceed int32.

CREATE TABLE orleansremindertable (
    serviceid    text        NOT NULL,
    grainid      text        NOT NULL,
    remindername text        NOT NULL,
    starttime    timestamptz NOT NULL,
    period       bigint      NOT NULL,
    grainhash    integer     NOT NULL,
    version      integer     NOT NULL,
    PRIMARY KEY (serviceid, grainid, remindername)
);

CREATE INDEX orleansremindertable_ring ON orleansremindertable (serviceid, grainhash);

INSERT INTO orleansquery (querykey, querytext) VALUES

('ReadReminderRowsKey', $q$
SELECT grainid, remindername, starttime, period, version
FROM orleansremindertable
WHERE serviceid = @ServiceId AND grainid = @GrainId
$q$),

('ReadReminderRowKey', $q$
SELECT grainid, remindername, starttime, period, version
FROM orleansremindertable
WHERE serviceid = @ServiceId AND grainid = @GrainId AND remindername = @ReminderName
$q$),

-- Range that does not wrap: (begin, end].
('ReadRangeRows1Key', $q$
SELECT grainid, remindername, starttime, period, version
FROM orleansremindertable
WHERE serviceid = @ServiceId
  AND grainhash > @BeginHash AND grainhash <= @EndHash
$q$),

-- Range that wraps past the end of the ring (also begin = end, the whole ring).
('ReadRangeRows2Key', $q$
SELECT grainid, remindername, starttime, period, version
FROM orleansremindertable
WHERE serviceid = @ServiceId
  AND (grainhash > @BeginHash OR grainhash <= @EndHash)
$q$),

-- Unconditional upsert. Every upsert moves the version (0 on insert, +1 after, wrapping to 0
-- at int.MaxValue) so that ETags handed out earlier go stale.
('UpsertReminderRowKey', $q$
INSERT INTO orleansremindertable AS r
    (serviceid, grainid, remindername, starttime, period, grainhash, version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (serviceid, grainid, remindername) DO UPDATE
SET starttime = excluded.starttime,
    period = excluded.period,
    grainhash = excluded.grainhash,
    version = CASE WHEN r.version = 2147483647 THEN 0 ELSE r.version + 1 END
RETURNING r.version
$q$),

-- Boolean: 1 if the reminder with that exact version was deleted, otherwise 0.
('DeleteReminderRowKey', $q$
WITH deleted AS (
    DELETE FROM orleansremindertable
    WHERE serviceid = @ServiceId AND grainid = @GrainId AND remindername = @ReminderName
      AND version = @Version
    RETURNING 1
)
SELECT count(*)::integer AS deleted FROM deleted
$q$),

('DeleteReminderRowsKey', $q$
DELETE FROM orleansremindertable WHERE serviceid = @ServiceId
$q$)

ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;
