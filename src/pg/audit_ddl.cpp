/*
 * audit_ddl.cpp — DBA operations win over the audit writers (audit_queue.hpp).
 *
 * DROP DATABASE, ALTER DATABASE (rename, options, SET TABLESPACE) and CREATE DATABASE ... TEMPLATE need
 * the database to themselves: PostgreSQL waits up to 5 s for other processes to leave it, then fails with
 * "being accessed by other users" (and DROP DATABASE ... WITH (FORCE) cannot terminate a superuser's
 * process for a non-superuser owner). So before such a statement, by anyone, the utility hook calls
 * audit_before_database_ddl(): the database is held off the writers for AG_HOLD_MS (the launcher starts
 * none for it; a writer that is starting leaves at attach), the writer connected to it is asked to leave
 * (a flag in its slot and its latch), and the statement waits at most AG_LEAVE_WAIT_MS for it to detach.
 * A writer waiting for a lock gives up within its lock_timeout. Once the statement holds its lock on the
 * database, a writer that connects later waits for it in PostgreSQL's own connection start.
 *
 * Every other statement pays one switch on its node tag.
 */
#include "pg/pg_headers.hpp"

#include "pg/audit_queue.hpp"

namespace agentguard {

#define AG_HOLD_MS 3000			/* a DBA operation keeps writers off its database this long */
#define AG_LEAVE_WAIT_MS 1500	/* and waits at most this long for the writer to leave */

/* The database a database-level statement needs to itself, InvalidOid for every other statement. */
static Oid
database_of_ddl(Node *stmt)
{
	const char *name = nullptr;

	switch (nodeTag(stmt))
	{
		case T_DropdbStmt:
			name = castNode(DropdbStmt, stmt)->dbname;
			break;
		case T_AlterDatabaseStmt:
			name = castNode(AlterDatabaseStmt, stmt)->dbname;
			break;
		case T_RenameStmt:
			if (castNode(RenameStmt, stmt)->renameType == OBJECT_DATABASE)
				name = castNode(RenameStmt, stmt)->subname;
			break;
		case T_CreatedbStmt:
			{
				ListCell   *lc;

				name = "template1";
				foreach(lc, castNode(CreatedbStmt, stmt)->options)
				{
					DefElem    *d = lfirst_node(DefElem, lc);

					if (strcmp(d->defname, "template") == 0 && d->arg != nullptr)
						name = defGetString(d);
				}
				break;
			}
		default:
			return InvalidOid;
	}
	return name != nullptr ? get_database_oid(name, true) : InvalidOid;
}

void
audit_before_database_ddl(Node *utility_stmt)
{
	Oid			dboid;
	TimestampTz start;

	if (!audit_queue_ready() || utility_stmt == nullptr)
		return;
	switch (nodeTag(utility_stmt))
	{
		case T_DropdbStmt:
		case T_AlterDatabaseStmt:
		case T_RenameStmt:
		case T_CreatedbStmt:
			break;
		default:
			return;
	}
	dboid = database_of_ddl(utility_stmt);
	if (!OidIsValid(dboid))
		return;

	start = GetCurrentTimestamp();
	audit_queue_hold_database(dboid, AG_HOLD_MS);
	while (audit_queue_ask_to_leave(dboid))
	{
		if (TimestampDifferenceExceeds(start, GetCurrentTimestamp(), AG_LEAVE_WAIT_MS))
			break;				/* PostgreSQL's own wait and message take over */
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

}  // namespace agentguard
