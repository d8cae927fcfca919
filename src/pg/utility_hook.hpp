/*
 * utility_hook.hpp — the one ProcessUtility hook of pg_agentguard (utility_hook.cpp) and the
 * classification of utility statements it asks for (utility_classify.cpp).
 */
#pragma once

#include "pg/pg_headers.hpp"

#include "core/policy.hpp"

namespace agentguard {

/*
 * ProcessUtility's arguments in one struct. Everything below the hook takes this instead of the nine
 * parameters, so a signature change of a PostgreSQL release touches the hook alone.
 */
struct UtilityArgs
{
	PlannedStmt *pstmt;
	Node	   *parsetree;		/* pstmt->utilityStmt */
	const char *query_string;
	bool		read_only_tree;
	ProcessUtilityContext context;
	ParamListInfo params;
	QueryEnvironment *query_env;
	DestReceiver *dest;
	QueryCompletion *qc;
};

/* The classification of one utility statement. */
struct Verdict
{
	StatementClass cls;
	const char *reason;
	List	   *objects;		/* char *: the names shown in the message and the record */
	List	   *oids;			/* Oid: the objects a token is bound to */
	bool		all_temp;		/* every object it destroys is a temporary object of this session */
};

/* Fills v (initialised Harmless, no objects, all_temp) for the statement of a guarded session. Takes no
 * locks and does no permission checks: PostgreSQL reports the statement's own errors later. */
void		classify_utility(const UtilityArgs *args, Verdict *v);

}  // namespace agentguard
