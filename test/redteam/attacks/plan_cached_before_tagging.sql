-- Held: statements prepared (and plans cached) before the role was tagged are judged when they run.
-- as: owner
\! psql -X -q -U postgres -d postgres -c 'REVOKE agentguard_agent FROM rt_agent'
PREPARE wipe AS DELETE FROM app.orders WHERE id > $1;
PREPARE wipe_all AS DELETE FROM app.customers;
CREATE FUNCTION scratch.wipe() RETURNS void LANGUAGE sql AS 'DELETE FROM app.events WHERE id > 0';
SELECT 1 FROM app.orders WHERE false;
\! psql -X -q -U postgres -d postgres -c 'GRANT agentguard_agent TO rt_agent'
EXECUTE wipe(0);
EXECUTE wipe_all;
SELECT scratch.wipe();
-- expect: would change more than
