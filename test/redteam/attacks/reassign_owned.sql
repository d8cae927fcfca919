-- Issue 11 (ALTER ... OWNER TO, all at once): REASSIGN OWNED gives every object of a role away.
-- as: owner superuser
REASSIGN OWNED BY rt_agent TO rt_admin;
REASSIGN OWNED BY CURRENT_USER TO rt_admin;
-- expect: is blocked
