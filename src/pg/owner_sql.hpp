/*
 * owner_sql.hpp — running pg_agentguard's own SQL on its tables (tokens and approvals).
 *
 * The caller of a token check is an agent, the caller of approve() an approver: neither holds rights on
 * agentguard.token_store. Bookkeeping therefore runs as the extension's owner, through SPI, with the hooks
 * stepped aside (internal_depth) and search_path pinned to "pg_catalog, pg_temp" — and every name in the
 * SQL is schema-qualified anyway, operators included, so nothing an agent can create is ever resolved.
 *
 * Usage (C-style: no C++ object may be alive across these calls):
 *
 *     OwnerSql os;
 *     owner_sql_begin(&os);
 *     PG_TRY();
 *     {
 *         ... SPI_execute_with_args(...) ...
 *     }
 *     PG_CATCH();
 *     {
 *         owner_sql_abort(&os);
 *         PG_RE_THROW();
 *     }
 *     PG_END_TRY();
 *     owner_sql_end(&os);
 *
 * On an error, SPI and the GUC nest level are unwound by (sub)transaction abort; owner_sql_abort() only
 * restores what abort would not restore before our caller's handlers run: the user id and internal_depth.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

struct OwnerSql
{
	Oid			saved_userid;
	int			saved_sec_context;
	int			guc_nestlevel;
};

/* Owner of the pg_agentguard extension in this database, InvalidOid when it is not created here. */
Oid			extension_owner(void);

/* Switches to the extension owner, pins search_path, connects SPI. The extension must exist. */
void		owner_sql_begin(OwnerSql *os);
void		owner_sql_end(OwnerSql *os);
void		owner_sql_abort(OwnerSql *os);

/*
 * The usage above in one call: body(arg) runs as the owner; when it raises an ERROR, on_error(arg)
 * (may be NULL; it must not raise) runs first, for instance to wipe a secret, and the ERROR goes on.
 */
void		owner_sql_run(void (*body) (void *), void (*on_error) (void *), void *arg);

/* Equal as sets (order and repetition do not matter). */
bool		oid_lists_equal_as_sets(List *a, const Oid *b, int nb);

}  // namespace agentguard
