/*
 * sql_functions.hpp — what other SQL-callable functions share with the approvers' functions.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

/* Raises an ERROR unless the caller is an approver (a superuser or a member of agentguard_approver, in a
 * session that is not guarded) in a database with the extension; fn names the function for the text. */
void		require_approver(const char *fn);

}  // namespace agentguard
