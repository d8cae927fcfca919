/*
 * approval_scope.hpp — what a destructive utility statement reaches, and whether its role could run it.
 *
 * A request records the statement's reach when it was blocked: the objects it names and every object
 * PostgreSQL would drop or truncate with them (CASCADE, DROP OWNED, the members of partitioned and
 * inherited tables). A token matches only while the statement reaches nothing outside that set.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

/* Objects named and reached; oids holds every OID (for the token), objects the names a human reads. */
struct Reach
{
	List	   *objects;		/* char *, shown in the request */
	List	   *oids;			/* Oid */
	void	   *seen;			/* private */
};

void		reach_init(Reach *r, List *objects, List *oids);

/* DROP of the object (classId, objectId): it and its dependents, recursively; with cascade also the
 * objects that depend on it normally (views, foreign keys, inheritance children, schema members). */
void		reach_add_drop(Reach *r, Oid classId, Oid objectId, bool cascade);

/* TRUNCATE of relid: its inheritors unless ONLY (inh false); with cascade the tables whose foreign keys
 * reference any of them, recursively. Call once with every named relation. */
void		reach_add_truncate(Reach *r, List *relids, List *inh, bool cascade);

/* The members of a partitioned or inheritance table (ALTER TABLE recursing to them). */
void		reach_add_members(Reach *r, Oid relid);

/* DROP OWNED BY role: every object of this database the role owns, with what depends on it. */
void		reach_add_owned(Reach *r, Oid roleid, bool cascade);

/*
 * The reach of one destructive utility statement (DROP of any kind, TRUNCATE, ALTER TABLE, DROP OWNED),
 * appended to *objects and *oids (which hold what the statement names). Sets *refused when PostgreSQL
 * will certainly refuse the current user for lack of ownership or privilege (its own error then comes
 * first, and no request is made); counts in *unresolved the named objects that do not exist (IF EXISTS
 * aside). Resolves names with the current search_path.
 */
void		statement_reach(Node *parsetree, List **objects, List **oids, bool *refused, int *unresolved);

/*
 * For grant_token(): the OIDs a request for this statement would record, resolved with the agent role's
 * own search_path. Errors when an object does not exist or is ambiguous.
 */
List	   *granted_objects(Node *stmt, Oid agent, const char *agent_name);

/* Whether a reach records the object: not the implied parts of a relation (row type, array type,
 * TOAST), which go with the relation that is recorded. */
bool		reach_records(Oid classId, Oid objectId);

/* Would PostgreSQL refuse the current user this for lack of ownership or privilege? true only when it
 * certainly would; false when allowed or unknown (the guard then judges the statement). */
bool		cannot_drop(Oid classId, Oid objectId);
bool		cannot_truncate(Oid relid);
bool		cannot_alter_table(Oid relid);
bool		cannot_drop_owned(Oid roleid);

}  // namespace agentguard
