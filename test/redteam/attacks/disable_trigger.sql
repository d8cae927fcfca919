-- Issue 11: DISABLE TRIGGER removes the application's own safety net, DISABLE TRIGGER ALL the
-- foreign-key checks too; ENABLE REPLICA leaves a trigger as good as disabled.
-- as: owner superuser
ALTER TABLE app.ledger DISABLE TRIGGER ledger_append_only;
ALTER TABLE app.ledger DISABLE TRIGGER USER;
ALTER TABLE app.orders DISABLE TRIGGER ALL;
ALTER TABLE app.ledger ENABLE REPLICA TRIGGER ledger_append_only;
-- expect: is blocked
