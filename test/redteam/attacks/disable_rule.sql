-- Issue 11: DISABLE RULE removes the application's change log.
-- as: owner superuser
ALTER TABLE app.ledger DISABLE RULE ledger_log;
ALTER TABLE app.ledger ENABLE REPLICA RULE ledger_log;
-- expect: is blocked
