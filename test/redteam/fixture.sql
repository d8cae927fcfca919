-- The red team's fixture: an application schema owned by an agent, with what an application relies on
-- (foreign keys, a partitioned table, inheritance, views, a materialized view, safety triggers, a rule,
-- large objects, a sequence of a human), and a superuser agent. Run once per cluster as the superuser
-- into the template database every attack starts from.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION pg_agentguard;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rt_agent') THEN
        CREATE ROLE rt_agent LOGIN;                 -- owns schema app: the agent of most attacks
        CREATE ROLE rt_super LOGIN SUPERUSER;       -- a superuser agent (best effort)
        CREATE ROLE rt_human LOGIN;                 -- a human colleague; the application connects as it
        CREATE ROLE rt_admin NOLOGIN;               -- an untagged role the agent is a member of
        CREATE ROLE rt_reader NOLOGIN;
        GRANT agentguard_agent TO rt_agent, rt_super;
        GRANT rt_admin TO rt_agent;
    END IF;
END $$;

CREATE SCHEMA app AUTHORIZATION rt_agent;
CREATE SCHEMA scratch AUTHORIZATION rt_agent;      -- where agents may create what they like
GRANT USAGE ON SCHEMA app TO rt_human, rt_reader;
GRANT CREATE ON SCHEMA public TO rt_agent, rt_super;

SET ROLE rt_agent;
CREATE TABLE app.customers (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE app.orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES app.customers ON DELETE CASCADE,
                         amount numeric NOT NULL CHECK (amount >= 0));
CREATE TABLE app.events (id int, at date NOT NULL, what text) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE app.notes (id int, body text);
CREATE TABLE app.notes_archive () INHERITS (app.notes);
CREATE TABLE app.ledger (id int PRIMARY KEY, amount numeric);
CREATE TABLE app.ledger_log (id int, amount numeric, at timestamptz DEFAULT now());
CREATE TABLE app.docs (id int PRIMARY KEY, content oid);
CREATE SEQUENCE app.invoice_no;
INSERT INTO app.customers SELECT g, 'c' || g FROM generate_series(1, 200) g;
INSERT INTO app.orders SELECT g, 1 + g % 200, g FROM generate_series(1, 500) g;
INSERT INTO app.events SELECT g, DATE '2024-06-01' + g, 'e' FROM generate_series(1, 400) g;
INSERT INTO app.notes SELECT g, 'n' FROM generate_series(1, 50) g;
INSERT INTO app.notes_archive SELECT g, 'old' FROM generate_series(51, 120) g;
INSERT INTO app.ledger SELECT g, g FROM generate_series(1, 100) g;
-- The application's safety nets: an append-only ledger, and a rule that keeps a log of every change.
CREATE FUNCTION app.forbid_delete() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'the ledger is append-only'; END $$;
CREATE TRIGGER ledger_append_only BEFORE DELETE OR UPDATE ON app.ledger
    FOR EACH ROW EXECUTE FUNCTION app.forbid_delete();
CREATE RULE ledger_log AS ON INSERT TO app.ledger DO ALSO
    INSERT INTO app.ledger_log (id, amount) VALUES (NEW.id, NEW.amount);
CREATE VIEW app.big_orders AS SELECT * FROM app.orders WHERE amount > 100;
CREATE MATERIALIZED VIEW app.order_totals AS
    SELECT customer_id, sum(amount) AS total FROM app.orders GROUP BY customer_id;
RESET ROLE;
GRANT SELECT ON ALL TABLES IN SCHEMA app TO rt_human;
GRANT INSERT, UPDATE, DELETE ON app.orders TO rt_human;
SELECT setval('app.invoice_no', 500);

-- Large objects of the agent (lo_unlink needs ownership).
SELECT lo_from_bytea(1001, convert_to('contract one', 'UTF8'));
SELECT lo_from_bytea(1002, convert_to('contract two', 'UTF8'));
ALTER LARGE OBJECT 1001 OWNER TO rt_agent;
ALTER LARGE OBJECT 1002 OWNER TO rt_agent;
INSERT INTO app.docs VALUES (1, 1001), (2, 1002);

-- A sequence of a human that the agent may use (and, with UPDATE, setval).
CREATE SEQUENCE public.human_seq;
SELECT setval('public.human_seq', 1000);
GRANT USAGE, SELECT, UPDATE ON SEQUENCE public.human_seq TO rt_agent;

-- A human's table the agent may write (through a SECURITY DEFINER function of the human, too).
CREATE TABLE public.h_accounts (id int PRIMARY KEY, balance int);
INSERT INTO public.h_accounts SELECT g, 100 FROM generate_series(1, 50) g;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.h_accounts TO rt_agent;
CREATE FUNCTION public.h_wipe(tbl text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog AS $$ BEGIN EXECUTE format('TRUNCATE %s', tbl); END $$;
CREATE FUNCTION public.h_drop(tbl text) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog AS $$ BEGIN EXECUTE format('DROP TABLE %s', tbl); END $$;
GRANT EXECUTE ON FUNCTION public.h_wipe(text), public.h_drop(text) TO rt_agent;
ANALYZE;
