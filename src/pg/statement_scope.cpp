/*
 * statement_scope.cpp — the top-level statement of the blast-radius guard.
 *
 * The top-level statement
 * Rows changed by nested statements — functions, triggers, foreign-key ON DELETE CASCADE / ON UPDATE
 * actions (which PostgreSQL runs through SPI while it finishes the outer query) — count toward the
 * statement that caused them: every check compares the whole statement's total for the table with the
 * table's limit. The top-level statement is the outermost active query or utility statement of the
 * backend; ExecutorStart, Run, Finish and End of one QueryDesc are one statement. A DO block or a
 * procedure that loops over single-row DELETEs is therefore one statement and is stopped once the loop
 * as a whole crosses the limit. Separate statements of one query string are judged on their own.
 * A procedure that COMMITs or ROLLs BACK inside CALL starts fresh PostgreSQL counters: at commit the
 * guard carries the rows changed so far forward; at rollback they are gone, as are their rows.
 *
 * Nesting is kept as pg_stat_statements keeps its nesting level: every hook that runs a guarded part of
 * a statement enters a scope and leaves it on the way out, under PG_TRY, so an ERROR never leaves a
 * stale level behind; the transaction callbacks drop everything at abort as a second line of defence.
 *
 * What a statement counted is kept by row_guard.cpp; this module tells it when a statement begins
 * (row_guard_statement_begin) and ends (row_guard_statement_end).
 *
 * Memory: the statement text of an intercept is copied into stmt_cxt, reset when the statement ends.
 */
#include "pg/pg_headers.hpp"

#include "pg/event_sink.hpp"
#include "pg/row_guard.hpp"
#include "pg/statement_scope.hpp"

namespace agentguard {

namespace scope_state {
bool		active = false;
const void *key = nullptr;
uint64		generation = 0;
int			depth = 0;
}
using scope_state::active;
using scope_state::depth;
using scope_state::generation;

/* The key of the transaction's statement: work outside any portal (deferred triggers at COMMIT,
 * planning before a statement's portal exists) and agents' code in a human's session. */
static const char xact_key_storage = 0;
static const void *const kXactKey = &xact_key_storage;

static const char *stmt_query = nullptr;	/* source text and location, valid while it runs */
static int	stmt_location = 0;
static int	stmt_length = 0;
static char *stmt_text = nullptr;	/* copied when first asked for */
static MemoryContext stmt_cxt = nullptr;
static bool stmt_cxt_used = false;

static void
reset_statement(void)
{
	active = false;
	scope_state::key = nullptr;
	stmt_text = nullptr;
	stmt_query = nullptr;
	if (stmt_cxt_used)
	{
		MemoryContextReset(stmt_cxt);
		stmt_cxt_used = false;
	}
}

/* emit: the statement ran to its end (warn mode reports what it crossed); false after an ERROR. */
static void
end_statement(bool emit)
{
	row_guard_statement_end(emit && active);
	row_guard_statement_reset();
	reset_statement();
}

static void
begin_statement(const void *key, const char *query, int location, int length)
{
	if (active)
		end_statement(false);
	active = true;
	scope_state::key = key;
	generation++;
	stmt_query = query;
	stmt_location = location;
	stmt_length = length;
	stmt_text = nullptr;
	row_guard_statement_begin();
}

/* The transaction's statement: its text is copied at once, since the query string it came from may
 * be gone before it ends. */
static void
begin_xact_statement(const char *query, int location, int length)
{
	MemoryContext old;

	begin_statement(kXactKey, query, location, length);
	old = MemoryContextSwitchTo(stmt_cxt);
	stmt_text = statement_text(query, location, length);
	stmt_cxt_used = true;
	MemoryContextSwitchTo(old);
	stmt_query = nullptr;
}

/* A portal's statement begins while the transaction's statement holds rows (it was planned, or agents'
 * code ran before it): they count toward it, and it gets its own text. */
static void
adopt_statement(const void *key, const char *query, int location, int length)
{
	scope_state::key = key;
	stmt_query = query;
	stmt_location = location;
	stmt_length = length;
	stmt_text = nullptr;
}

void
statement_scope_enter(const void *key, const char *query, int location, int length)
{
	if (depth == 0 && !statement_is(key))
	{
		/*
		 * Outside any portal at the top: PostgreSQL is planning the next statement (constant folding
		 * may run functions) or firing deferred triggers at COMMIT. Everything there is one statement
		 * per transaction, which the next portal's statement takes over.
		 */
		if (ActivePortal == nullptr)
		{
			if (!statement_is(kXactKey))
				begin_xact_statement(query, location, length);
		}
		else if (statement_is(kXactKey))
			adopt_statement(key, query, location, length);
		else
			begin_statement(key, query, location, length);
	}
	depth++;
}

void
statement_scope_enter_agent_code(void)
{
	if (depth == 0 && !statement_is(kXactKey))
		begin_xact_statement(debug_query_string, -1, 0);
	depth++;
}

void
statement_scope_leave_agent_code(void)
{
	if (depth > 0)
		depth--;
}

void
statement_scope_leave(const void *key, bool finished)
{
	if (depth > 0)
		depth--;
	if (depth == 0 && finished && statement_is(key))
		end_statement(true);
}

/* An ERROR is leaving a scope: the statement is over and nothing it did survives. */
void
statement_scope_abort(void)
{
	if (depth > 0)
		depth--;
	if (depth == 0 && active)
		end_statement(false);
}

void
statement_scope_end_if(const void *key)
{
	if (depth == 0 && statement_is(key))
		end_statement(true);
}

const char *
statement_text_now(void)
{
	if (stmt_text == nullptr)
	{
		MemoryContext old = MemoryContextSwitchTo(stmt_cxt);

		stmt_text = statement_text(stmt_query, stmt_location, stmt_length);
		stmt_cxt_used = true;
		MemoryContextSwitchTo(old);
	}
	return stmt_text;
}

void
statement_scope_xact_precommit(void)
{
	if (depth == 0 && statement_is(kXactKey))
		end_statement(true);
}

void
statement_scope_xact_end(void)
{
	row_guard_statement_reset();
	reset_statement();
}

void
statement_scope_init(void)
{
	stmt_cxt = AllocSetContextCreate(TopMemoryContext, "pg_agentguard statement", ALLOCSET_SMALL_SIZES);
	active = false;
	generation = 0;
	depth = 0;
}

}  // namespace agentguard
