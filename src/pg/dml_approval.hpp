/*
 * dml_approval.hpp — a token approves the over-limit rows of the tables its request named, nothing else.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

/* A new statement: no token has matched yet. */
void		dml_approval_reset(void);

/* The objects a DML request on relid records: the table and the members it has now, when partitioned
 * or inherited. */
List	   *dml_reach(Oid relid);

/* Does the token that matched in this statement cover relid (and its members)? */
bool		dml_approval_covers(Oid relid);

/* The token id that lets relid's rows through in this statement, or 0: the first call that matches
 * consumes a use of the token in agentguard.token; later calls only test the objects it covers. */
int64		dml_approval_try(Oid relid, const char *statement);

}  // namespace agentguard
