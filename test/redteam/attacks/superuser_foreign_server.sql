-- Issue 11: a superuser agent makes a foreign server and a user mapping back into the server as another role.
-- as: superuser owner
--setup CREATE EXTENSION postgres_fdw
CREATE SERVER loopback FOREIGN DATA WRAPPER postgres_fdw OPTIONS (dbname 'postgres');
CREATE USER MAPPING FOR CURRENT_USER SERVER loopback OPTIONS (user 'postgres');
-- check: SELECT NOT EXISTS (SELECT FROM pg_foreign_server WHERE srvname = 'loopback')
