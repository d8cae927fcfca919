/*
 * requests.cpp — the id of a blocked statement's request (audit.hpp).
 *
 * The id is taken from agentguard.request_id_seq by the blocked backend itself, at the moment of
 * blocking, so the agent's error can name it. A sequence value is not transactional: it stays taken when
 * the blocked statement's transaction rolls back, and the audit worker later writes the request row
 * under that id. The agent has no rights on the sequence; the value is drawn without a permission check,
 * with the hooks stepped aside.
 */
#include "pg/pg_headers.hpp"

#include "pg/audit.hpp"
#include "pg/hooks.hpp"
#include "pg/identity.hpp"

namespace agentguard {

#define AG_REQUEST_SEQUENCE "request_id_seq"

int64
audit_reserve_request_id(bool *extension_present, bool *read_only)
{
	Oid			nsp;
	Oid			seq;
	int64		id = 0;

	*extension_present = OidIsValid(get_extension_oid(AG_EXTENSION, true));
	/* nextval() writes WAL: impossible on a standby, in a read-only transaction, in parallel mode. */
	*read_only = XactReadOnly || RecoveryInProgress() || IsInParallelMode();
	if (!*extension_present || *read_only)
		return 0;

	nsp = guard_schema_oid();
	if (!OidIsValid(nsp))
		return 0;
	seq = get_relname_relid(AG_REQUEST_SEQUENCE, nsp);
	if (!OidIsValid(seq) || get_rel_relkind(seq) != RELKIND_SEQUENCE)
		return 0;

	internal_depth++;
	PG_TRY();
	{
		id = nextval_internal(seq, false);
	}
	PG_FINALLY();
	{
		internal_depth--;
	}
	PG_END_TRY();
	return id;
}

}  // namespace agentguard
