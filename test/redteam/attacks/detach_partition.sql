-- Issue 11: DETACH PARTITION takes rows out of the table the application reads.
-- as: owner superuser
ALTER TABLE app.events DETACH PARTITION app.events_2024;
ALTER TABLE app.events DETACH PARTITION app.events_2025 CONCURRENTLY;
-- expect: is blocked
