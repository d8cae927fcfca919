/*
 * audit_stub.cpp — stand-in for the audit module until the queue and worker exist: no request ids,
 * the server log line written by the event sink is the only record.
 */
extern "C" {
#include "postgres.h"
#include "access/xact.h"
#include "commands/extension.h"
}

#include "pg/audit.hpp"
#include "pg/identity.hpp"

namespace agentguard {

int64
audit_reserve_request_id(bool *extension_present, bool *read_only)
{
	*extension_present = OidIsValid(get_extension_oid(AG_EXTENSION, true));
	*read_only = XactReadOnly;
	return 0;
}

}  // namespace agentguard

#include "pg/tokens.hpp"

namespace agentguard {

int64
token_match(const char *raw_statement, List *object_oids)
{
	(void) raw_statement;
	(void) object_oids;
	return 0;
}

}  // namespace agentguard
