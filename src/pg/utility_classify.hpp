/*
 * utility_classify.hpp — what the files classifying utility statements share: utility_classify.cpp
 * (the table, and statements on relations and their data), classify_names.cpp (marking a verdict, naming
 * objects), classify_privileges.cpp (roles, privileges, owners, settings), classify_server.cpp (files,
 * libraries, extensions, functions in C, foreign servers, notifications). The rest of the module sees
 * only classify_utility() in utility_hook.hpp.
 */
#pragma once

#include "pg/utility_hook.hpp"

namespace agentguard {

/* The reasons an agent reads in more than one file. */
inline constexpr const char *kReasonDrop =
	"agents may not drop objects without an approval";
inline constexpr const char *kReasonTruncate =
	"agents may not truncate tables without an approval";
inline constexpr const char *kReasonRole =
	"role and membership changes need an approval";
inline constexpr const char *kReasonSchema =
	"agents may not create, alter or drop anything in schema agentguard";
inline constexpr const char *kReasonExtension =
	"agents may not create, alter or drop the pg_agentguard extension";
inline constexpr const char *kReasonSettings =
	"agents may not change pg_agentguard settings";
inline constexpr const char *kReasonForeign =
	"agents may not create or change foreign servers or user mappings without an approval";
inline constexpr const char *kReasonGuardRoles =
	"agents may not change the agentguard roles or their members";

/* ---------- marking a verdict, naming objects (classify_names.cpp) ---------- */

/* Raises the class to destructive DDL with this reason, unless it is self-protection already. */
void		mark_destructive(Verdict *v, const char *reason);
/* Self-protection with this reason: never approvable. */
void		mark_self(Verdict *v, const char *reason);
/* Appends a copy of name to the objects shown. */
void		add_name(Verdict *v, const char *name);
bool		is_guard_role_name(const char *name);
bool		is_guard_schema(Oid nsp);
/* A qualified name list whose schema part names schema agentguard. */
bool		names_guard_schema(List *names);
/* A name list as typed, also for the TypeName members of DROP CAST and DROP TRANSFORM. */
char	   *names_to_string(List *names);
/* The relation a name means, without locks or permission checks; InvalidOid when there is none. */
Oid			resolve_relation(RangeVar *rv);
/* Resolves a relation named in a statement and records it (name, OID, temporary or not, our schema). */
void		add_relation(Verdict *v, RangeVar *rv, bool missing_ok);
/* Self-protection when the relation is in schema agentguard; nothing otherwise. */
void		check_relation_in_guard_schema(RangeVar *rv, Verdict *v);
const char *rolespec_name(RoleSpec *r);
void		add_role_name(Verdict *v, const char *name);
void		add_role_specs(Verdict *v, List *roles);

/* ---------- handlers of the table's rows in other files ---------- */

/* classify_privileges.cpp */
void		drop_owned_objects(Node *n, Verdict *v);
void		drop_role_objects(Node *n, Verdict *v);
void		create_role_objects(Node *n, Verdict *v);
void		alter_role_objects(Node *n, Verdict *v);
void		alter_role_set_objects(Node *n, Verdict *v);
void		alter_database_set(Node *n, Verdict *v);
void		grant_role_objects(Node *n, Verdict *v);
void		classify_rename(Node *n, Verdict *v);
void		classify_set(Node *n, Verdict *v);
void		classify_grant(Node *n, Verdict *v);
void		classify_default_privileges(Node *n, Verdict *v);
void		alter_owner_object(Node *n, Verdict *v);

/* classify_server.cpp */
void		load_object(Node *n, Verdict *v);
void		classify_copy(Node *n, Verdict *v);
void		create_extension(Node *n, Verdict *v);
void		create_function(Node *n, Verdict *v);
void		notify_channel(Node *n, Verdict *v);
void		alter_extension(Node *n, Verdict *v);
void		alter_extension_contents(Node *n, Verdict *v);
void		check_extension_name(const char *extname, Verdict *v);

}  // namespace agentguard
