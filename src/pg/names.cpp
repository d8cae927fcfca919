/*
 * names.cpp — relation names for messages and records, and the session's own temporary relations.
 * See names.hpp.
 */
#include "pg/pg_headers.hpp"

#include "pg/names.hpp"

namespace agentguard {

char *
relation_display_name(Oid relid)
{
	Oid			nspid = get_rel_namespace(relid);
	char	   *nsp = isAnyTempNamespace(nspid) ? pstrdup("pg_temp") : get_namespace_name(nspid);
	char	   *rel = get_rel_name(relid);

	if (nsp == nullptr || rel == nullptr)
		return psprintf("%u", relid);
	return psprintf("%s.%s", quote_identifier(nsp), quote_identifier(rel));
}

bool
relation_is_own_temp(Oid relid)
{
	return get_rel_persistence(relid) == RELPERSISTENCE_TEMP &&
		isTempOrTempToastNamespace(get_rel_namespace(relid));
}

}  // namespace agentguard
