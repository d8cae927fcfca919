-- Issue 11: ALTER ... OWNER TO gives objects away (the agent is a member of rt_admin).
-- as: owner superuser
ALTER TABLE app.customers OWNER TO rt_admin;
ALTER SEQUENCE app.invoice_no OWNER TO rt_admin;
ALTER VIEW app.big_orders OWNER TO rt_admin;
ALTER MATERIALIZED VIEW app.order_totals OWNER TO rt_admin;
ALTER FUNCTION app.forbid_delete() OWNER TO rt_admin;
ALTER SCHEMA app OWNER TO rt_admin;
ALTER LARGE OBJECT 1001 OWNER TO rt_admin;
-- expect: is blocked
