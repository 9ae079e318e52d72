-- Make the role :'owner' the owner of every object in the current database that another role
-- owns: schemas, tables, views, sequences, free-standing types and functions outside the system
-- schemas. start.sh runs it in each service's database (psql -v owner=govhall_<service>), so a
-- database the superuser filled before the service roles existed passes to the service's role,
-- whose migrations can then alter it. REASSIGN OWNED cannot do this: the objects belong to the
-- bootstrap superuser, whose objects PostgreSQL refuses to reassign. Idempotent.
SELECT set_config('govhall.owner', :'owner', false);

DO $$
DECLARE
  owner_name text := current_setting('govhall.owner');
  target oid := owner_name::regrole;
  r record;
BEGIN
  FOR r IN SELECT n.nspname FROM pg_namespace n
           WHERE n.nspowner NOT IN (target, 'pg_database_owner'::regrole)
             AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO %I', r.nspname, owner_name);
  END LOOP;
  -- Tables first: ALTER TABLE takes their indexes and their columns' sequences along.
  FOR r IN SELECT c.relname, n.nspname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relowner <> target AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
             AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' LOOP
    EXECUTE format('ALTER %s %I.%I OWNER TO %I',
      CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                     WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
      r.nspname, r.relname, owner_name);
  END LOOP;
  -- A new query: it sees the sequences the tables took along and skips them.
  FOR r IN SELECT c.relname, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relowner <> target AND c.relkind = 'S'
             AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' LOOP
    EXECUTE format('ALTER SEQUENCE %I.%I OWNER TO %I', r.nspname, r.relname, owner_name);
  END LOOP;
  -- Enums, domains, ranges and composite types of their own (a table's row type goes with it).
  FOR r IN SELECT t.typname, n.nspname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           LEFT JOIN pg_class c ON c.oid = t.typrelid
           WHERE t.typowner <> target AND t.typtype IN ('e', 'd', 'r', 'c')
             AND (t.typrelid = 0 OR c.relkind = 'c')
             AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
             AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e') LOOP
    EXECUTE format('ALTER TYPE %I.%I OWNER TO %I', r.nspname, r.typname, owner_name);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS signature, p.prokind FROM pg_proc p
           JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE p.proowner <> target AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
             AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') LOOP
    EXECUTE format('ALTER %s %s OWNER TO %I',
      CASE r.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
      r.signature, owner_name);
  END LOOP;
END
$$;
