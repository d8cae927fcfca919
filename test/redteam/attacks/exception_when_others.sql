-- Held: an EXCEPTION WHEN OTHERS block swallows the guard's error, but nothing happens.
-- as: owner superuser
DO $$ BEGIN DROP TABLE app.orders CASCADE; EXCEPTION WHEN OTHERS THEN NULL; END $$;
DO $$ BEGIN DELETE FROM app.orders; EXCEPTION WHEN OTHERS THEN NULL; END $$;
DO $$ BEGIN DELETE FROM app.customers WHERE id > 0; EXCEPTION WHEN OTHERS THEN NULL; END $$;
DO $$ BEGIN SET LOCAL agentguard.mode = off; EXCEPTION WHEN OTHERS THEN NULL; END $$;
DO $$ BEGIN TRUNCATE app.events; EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'swallowed: %', SQLERRM; END $$;
-- expect: swallowed: TRUNCATE
