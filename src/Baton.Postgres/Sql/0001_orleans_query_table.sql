-- The table Orleans' ADO.NET providers load their queries from. The providers' loader SQL is
-- unquoted ("SELECT QueryKey, QueryText FROM OrleansQuery"), so PostgreSQL folds it to these
-- lowercase names; a quoted "OrleansQuery" would never be found.
--
-- Plain CREATE TABLE on purpose: a database that already has an orleansquery table was set up
-- by someone else's scripts, and mixing the two silently would be worse than failing here.
CREATE TABLE orleansquery (
    querykey  text PRIMARY KEY,
    querytext text NOT NULL
);
