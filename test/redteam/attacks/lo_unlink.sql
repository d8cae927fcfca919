-- Issue 11: large objects deleted with lo_unlink(), no DELETE in sight. Counted like deleted rows;
-- unlinking one object is allowed, a whole table's worth is stopped by the row limits (20 here), and
-- a superuser agent is held the same way.
-- as: owner superuser
--setup SELECT lo_from_bytea(2000 + g, '\x00') FROM generate_series(1, 30) g
--setup SELECT lo_unlink(2001)
SELECT lo_unlink(oid) FROM pg_largeobject_metadata WHERE oid > 2000;
SELECT lo_unlink(content) FROM app.docs;
DO $$ BEGIN PERFORM lo_unlink(1001); PERFORM lo_unlink(1002); PERFORM lo_unlink(oid) FROM pg_largeobject_metadata; END $$;
-- expect: is blocked
