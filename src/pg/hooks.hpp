/*
 * hooks.hpp — state shared by the hooks of pg_agentguard.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

/* > 0 while pg_agentguard runs its own SQL (token bookkeeping): the hooks step aside for it. */
extern int	internal_depth;

/* True while agentguard.preview() runs a statement (preview.cpp): the guard counts but does not stop
 * (agentguard.mode is warn meanwhile), records nothing but its refusals, and tokens are not consulted. */
extern bool preview_active;

/* How the innermost utility statement being executed in a guarded session was judged. */
enum DropPermission
{
	DROPS_NONE = 0,				/* a statement not judged destructive: it must not drop anything */
	DROPS_TEMP_ONLY = 1,		/* allowed because it only drops temporary objects of the session */
	DROPS_ALLOWED = 2			/* approved, warned, or mode off */
};

/* For the object-access backstop: what the running utility statement may drop, and its text.
 * DROPS_NONE with a NULL statement when no utility statement is running. */
DropPermission current_drop_permission(const char **statement, const char **command);

/* When a token allowed the innermost utility statement: the objects it covers (sorted), else NULL. */
const Oid  *current_drop_scope(int *n);

/*
 * For grant_token: a destructive utility statement's reach, resolved with the current search_path (see
 * approval_scope.hpp). Returns false for statements that are not destructive DDL. *unresolved counts
 * named objects that do not exist.
 */
bool		utility_statement_reach(Node *parsetree, List **objects, List **oids, int *unresolved);

void		install_utility_hook(void);
void		install_object_access_hook(void);
void		install_dml_protect_hook(void);

/* A system catalog or a table of schema agentguard: agents may not write it at all. */
bool		is_self_protected_relation(Oid relid);
void		install_xact_callbacks(void);
void		install_executor_hooks(void);	/* the statement scope: pg/statement_scope.hpp */

}  // namespace agentguard
