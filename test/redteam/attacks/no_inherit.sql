-- Issue 11: NO INHERIT takes a child's rows out of the parent's queries.
-- as: owner superuser
ALTER TABLE app.notes_archive NO INHERIT app.notes;
-- expect: is blocked
