-- Issue 11: a superuser agent installs an untrusted extension (dblink connects back as anyone over a
-- trusting socket; adminpack and file_fdw reach the server's files).
-- as: superuser
CREATE EXTENSION dblink;
CREATE EXTENSION file_fdw SCHEMA scratch;
CREATE EXTENSION postgres_fdw;
-- expect: is blocked
