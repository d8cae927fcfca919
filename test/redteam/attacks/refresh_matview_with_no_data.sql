-- Issue 11: REFRESH MATERIALIZED VIEW ... WITH NO DATA empties the materialized view.
-- as: owner superuser
REFRESH MATERIALIZED VIEW app.order_totals WITH NO DATA;
-- expect: is blocked
