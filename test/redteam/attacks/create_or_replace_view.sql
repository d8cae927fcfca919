-- Issue 11: CREATE OR REPLACE VIEW over an existing view makes it return nothing.
-- as: owner superuser
CREATE OR REPLACE VIEW app.big_orders AS SELECT * FROM app.orders WHERE false;
-- expect: is blocked
