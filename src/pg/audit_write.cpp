/*
 * audit_write.cpp — queued audit records become rows (audit_write.hpp).
 *
 * Safety of the writes. The callers pin search_path to pg_catalog, pg_temp, and every object here is
 * named with its schema. Before inserting, audit_insert_records() checks that audit_log and requests are
 * plain tables without rules and without user triggers (the foreign key of token_store puts internal
 * triggers on requests, which fire on UPDATE/DELETE only); if someone planted one, it refuses to write
 * (WARNING, counted as write failures) rather than run foreign code with the writer's rights. Without
 * the extension in the database the records are discarded and counted.
 *
 * C++ (decoding the records) runs only through ag_cpp_call() and hands back palloc'd plain structs; no
 * C++ object is alive while PostgreSQL is called.
 */
#include "pg/pg_headers.hpp"

#include <cstring>

#include "core/record.hpp"
#include "pg/audit_chain.hpp"
#include "pg/audit_write.hpp"
#include "pg/identity.hpp"
#include "pg/pg_guard.hpp"
#include "pg/request_ids.hpp"

namespace agentguard {

static char *
dup_nothrow(const std::string &s, bool *ok)
{
	char	   *p = ag_pstrdup_nothrow(s);

	if (p == nullptr)
		*ok = false;
	return p;
}

static void *
alloc_nothrow(Size n, bool *ok)
{
	void	   *p = MemoryContextAllocExtended(CurrentMemoryContext, n == 0 ? 1 : n, MCXT_ALLOC_NO_OOM);

	if (p == nullptr)
		*ok = false;
	return p;
}

PlainRecord *
audit_decode(const QueueTaken *taken, int n)
{
	PlainRecord *recs = static_cast<PlainRecord *>(palloc0(sizeof(PlainRecord) * n));

	ag_cpp_call("decoding audit records", [&]() {
		for (int i = 0; i < n; i++)
		{
			PlainRecord *p = &recs[i];
			AuditRecord r;
			bool		ok = true;

			p->ok = false;
			try
			{
				if (!deserialize_record(taken[i].data, taken[i].len, &r))
					continue;
				p->login_role_oid = r.login_role_oid;
				p->logged_at = r.logged_at;
				p->backend_pid = r.backend_pid;
				p->decision = r.decision;
				p->approvable = r.approvable;
				p->rows_affected = r.rows_affected;
				p->request_id = r.request_id;
				p->token_id = r.token_id;
				if (r.has_statement_hash)
					std::memcpy(p->statement_hash, r.statement_hash, 32);
				p->database = dup_nothrow(r.database, &ok);
				p->login_role = dup_nothrow(r.login_role, &ok);
				p->session_role = dup_nothrow(r.session_role, &ok);
				p->current_role = dup_nothrow(r.current_role, &ok);
				p->application_name = dup_nothrow(r.application_name, &ok);
				p->client_addr = dup_nothrow(r.client_addr, &ok);
				p->command = dup_nothrow(r.command, &ok);
				p->statement = dup_nothrow(r.statement, &ok);
				p->reason = dup_nothrow(r.reason, &ok);
				p->notify_payload = dup_nothrow(r.notify_payload, &ok);
				p->nobjects = static_cast<int>(r.objects.size());
				p->objects = static_cast<char **>(alloc_nothrow(sizeof(char *) * r.objects.size(), &ok));
				for (size_t k = 0; ok && k < r.objects.size(); k++)
					p->objects[k] = dup_nothrow(r.objects[k], &ok);
				p->noids = static_cast<int>(r.object_oids.size());
				p->oids = static_cast<Oid *>(alloc_nothrow(sizeof(Oid) * r.object_oids.size(), &ok));
				for (size_t k = 0; ok && k < r.object_oids.size(); k++)
					p->oids[k] = r.object_oids[k];
				p->ok = ok;
			}
			catch (...)
			{
				p->ok = false;
			}
		}
	});
	return recs;
}

/* ---------------------------------------------------------------------------------------------------
 * Writer: SQL */

static SPIPlanPtr audit_plan = nullptr;
static SPIPlanPtr request_plan = nullptr;

static const char *const kAuditInsert =
	"INSERT INTO agentguard.audit_log (logged_at, database, session_role, \"current_role\", "
	"application_name, client_addr, backend_pid, command, statement, objects, decision, reason, "
	"rows_affected, request_id, token_id, prev_hash, row_hash) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";
static Oid	kAuditTypes[17] = {TIMESTAMPTZOID, NAMEOID, NAMEOID, NAMEOID, TEXTOID, INETOID, INT4OID,
	TEXTOID, TEXTOID, TEXTARRAYOID, TEXTOID, TEXTOID, INT8OID, INT8OID, INT8OID, BYTEAOID, BYTEAOID};

static const char *const kRequestInsert =
	"INSERT INTO agentguard.requests (id, requested_at, agent, agent_oid, database_oid, command, "
	"statement, statement_hash, objects, object_oids, reason, status) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending')";
static Oid	kRequestTypes[11] = {INT8OID, TIMESTAMPTZOID, NAMEOID, OIDOID, OIDOID, TEXTOID, TEXTOID,
	BYTEAOID, TEXTARRAYOID, OIDARRAYOID, TEXTOID};

static SPIPlanPtr
keep_plan(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, types);

	if (plan == nullptr)
		elog(ERROR, "pg_agentguard: could not prepare \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "pg_agentguard: could not keep the plan of \"%s\"", sql);
	return plan;
}

/* NULL when the table is safe to write; otherwise why not. The lock is kept until commit. */
static const char *
table_refusal(Oid nsp, const char *name)
{
	Oid			relid = get_relname_relid(name, nsp);
	Relation	rel;
	const char *why = nullptr;

	if (!OidIsValid(relid))
		return "it does not exist";
	rel = table_open(relid, RowExclusiveLock);
	if (rel->rd_rel->relkind != RELKIND_RELATION)
		why = "it is not a plain table";
	else if (rel->rd_rel->relhasrules || rel->rd_rules != nullptr)
		why = "it has rules";
	else if (rel->trigdesc != nullptr)
	{
		for (int i = 0; i < rel->trigdesc->numtriggers; i++)
			if (!rel->trigdesc->triggers[i].tgisinternal)
				why = "it has triggers";
	}
	table_close(rel, NoLock);
	return why;
}

static Datum
text_array(char **items, int n)
{
	Datum	   *d = static_cast<Datum *>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));

	for (int i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(items[i]);
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static Datum
oid_array(const Oid *oids, int n)
{
	Datum	   *d = static_cast<Datum *>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));

	for (int i = 0; i < n; i++)
		d[i] = ObjectIdGetDatum(oids[i]);
	return PointerGetDatum(construct_array(d, n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
}

static const char *
decision_text(int decision)
{
	switch (decision)
	{
		case 1:
			return "approved";
		case 2:
			return "warned";
		case 3:
			return "breaker";
		case 4:
			return "previewed";
		default:
			return "blocked";
	}
}

static void
insert_record(const PlainRecord *r)
{
	Datum		v[17];
	char		nulls[17];
	int			rc;

	memset(nulls, ' ', sizeof(nulls));
	v[0] = TimestampTzGetDatum(r->logged_at);
	v[1] = DirectFunctionCall1(namein, CStringGetDatum(r->database));
	v[2] = DirectFunctionCall1(namein, CStringGetDatum(r->session_role));
	v[3] = DirectFunctionCall1(namein, CStringGetDatum(r->current_role));
	v[4] = CStringGetTextDatum(r->application_name);
	if (r->client_addr[0] != '\0')
		v[5] = DirectFunctionCall1(inet_in, CStringGetDatum(r->client_addr));
	else
	{
		v[5] = (Datum) 0;
		nulls[5] = 'n';
	}
	v[6] = Int32GetDatum(r->backend_pid);
	v[7] = CStringGetTextDatum(r->command);
	v[8] = CStringGetTextDatum(r->statement);
	v[9] = text_array(r->objects, r->nobjects);
	v[10] = CStringGetTextDatum(decision_text(r->decision));
	v[11] = CStringGetTextDatum(r->reason);
	v[12] = Int64GetDatum(r->rows_affected);
	if (r->rows_affected < 0)
		nulls[12] = 'n';
	v[13] = Int64GetDatum(r->request_id);
	if (r->request_id <= 0)
		nulls[13] = 'n';
	v[14] = Int64GetDatum(r->token_id);
	if (r->token_id <= 0)
		nulls[14] = 'n';
	audit_chain_link(v, nulls, false, &v[15], &v[16]);	/* tamper evidence, audit_chain.cpp */
	rc = SPI_execute_plan(audit_plan, v, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "pg_agentguard: inserting into agentguard.audit_log failed: %s", SPI_result_code_string(rc));

	/* A tripped circuit breaker is announced; queued in this transaction like a request's NOTIFY. */
	if (r->decision == 3 && r->notify_payload[0] != '\0')
		Async_Notify("agentguard", r->notify_payload);

	/* A blocked, approvable statement with a reserved id gets its pending request, and a NOTIFY. */
	if (r->decision != 0 || !r->approvable || r->request_id <= 0)
		return;

	Datum		q[11];
	char		qn[11];
	bytea	   *hash = static_cast<bytea *>(palloc(VARHDRSZ + 32));

	memset(qn, ' ', sizeof(qn));
	SET_VARSIZE(hash, VARHDRSZ + 32);
	memcpy(VARDATA(hash), r->statement_hash, 32);
	q[0] = Int64GetDatum(r->request_id);
	q[1] = TimestampTzGetDatum(r->logged_at);
	q[2] = DirectFunctionCall1(namein, CStringGetDatum(r->login_role[0] != '\0' ? r->login_role : r->session_role));
	q[3] = ObjectIdGetDatum(r->login_role_oid);
	q[4] = ObjectIdGetDatum(MyDatabaseId);
	q[5] = CStringGetTextDatum(r->command);
	q[6] = CStringGetTextDatum(r->statement);
	q[7] = PointerGetDatum(hash);
	q[8] = text_array(r->objects, r->nobjects);
	q[9] = oid_array(r->oids, r->noids);
	q[10] = CStringGetTextDatum(r->reason);
	rc = SPI_execute_plan(request_plan, q, qn, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "pg_agentguard: inserting into agentguard.requests failed: %s", SPI_result_code_string(rc));
	/* Queued in this transaction: listeners hear it only if the request row commits. */
	if (r->notify_payload[0] != '\0')
		Async_Notify("agentguard", r->notify_payload);
}


/*
 * The per-database sequence of version 1.0 no longer hands out request ids, but it is kept at or above
 * every stored id: pg_dump carries it, so a restored database still tells the allocator where its ids
 * end, and SQL that draws from it never collides with a request.
 */
static void
keep_sequence_ahead(Oid nsp, int64 id)
{
	Oid			types[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(id)};

	if (get_rel_relkind(get_relname_relid("request_id_seq", nsp)) != RELKIND_SEQUENCE)
		return;
	if (SPI_execute_with_args("SELECT pg_catalog.setval('agentguard.request_id_seq', $1) "
							  "FROM agentguard.request_id_seq "
							  "WHERE last_value OPERATOR(pg_catalog.<) $1 "
							  "OR (NOT is_called AND last_value OPERATOR(pg_catalog.=) $1)",
							  1, types, args, nullptr, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "pg_agentguard: advancing agentguard.request_id_seq failed");
}

void
audit_insert_records(PlainRecord *recs, int n, WriteCounts *counts)
{
	Oid			nsp;
	const char *why = nullptr;
	const char *table = nullptr;

	nsp = OidIsValid(get_extension_oid(AG_EXTENSION, true)) ? get_namespace_oid(AG_SCHEMA, true)
															: InvalidOid;
	if (!OidIsValid(nsp))
	{
		/* No extension here (any more): the server log is the record. */
		for (int i = 0; i < n; i++)
			if (recs[i].ok)
				counts->discarded++;
		return;
	}
	table = "agentguard.audit_log";
	why = table_refusal(nsp, "audit_log");
	if (why == nullptr)
	{
		table = "agentguard.requests";
		why = table_refusal(nsp, "requests");
	}
	if (why != nullptr)
	{
		ereport(WARNING,
				(errmsg("pg_agentguard: refusing to write audit records into %s: %s", table, why),
				 errdetail("%d records were not written; the server log holds a line for each.", n),
				 errhint("Drop the rules and triggers that were added to the tables of schema agentguard.")));
		for (int i = 0; i < n; i++)
			if (recs[i].ok)
				counts->failed++;
		return;
	}
	if (audit_plan == nullptr)
		audit_plan = keep_plan(kAuditInsert, 17, kAuditTypes);
	if (request_plan == nullptr)
		request_plan = keep_plan(kRequestInsert, 11, kRequestTypes);
	int64		max_request = 0;

	for (int i = 0; i < n; i++)
	{
		if (!recs[i].ok)
			continue;
		insert_record(&recs[i]);
		counts->written++;
		if (recs[i].decision == 0 && recs[i].approvable && recs[i].request_id > max_request)
			max_request = recs[i].request_id;
	}
	if (max_request > 0)
		keep_sequence_ahead(nsp, max_request);
}

void
audit_repair_identity(void)
{
	if (!OidIsValid(get_extension_oid(AG_EXTENSION, true)))
		return;
	if (SPI_execute("SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence('agentguard.audit_log', 'id'), "
					"pg_catalog.max(id)) FROM agentguard.audit_log HAVING pg_catalog.max(id) IS NOT NULL",
					false, 0) < 0)
		elog(ERROR, "pg_agentguard: repairing the identity of agentguard.audit_log failed");
	ereport(LOG, (errmsg("pg_agentguard: the identity sequence of agentguard.audit_log was behind its rows and has been moved past them")));
}

int64
audit_stored_max_request_id(void)
{
	bool		isnull = true;
	int64		id = 0;

	if (!OidIsValid(get_extension_oid(AG_EXTENSION, true)))
		return 0;
	/* The old per-database sequence, while it exists, still counts: ids of version 1.0 came from it. */
	Oid			nsp = get_namespace_oid(AG_SCHEMA, true);
	bool		have_seq = OidIsValid(nsp) && get_rel_relkind(get_relname_relid("request_id_seq", nsp)) == RELKIND_SEQUENCE;

	if (SPI_execute(have_seq
					? "SELECT pg_catalog.max(id) FROM (SELECT pg_catalog.max(id) FROM agentguard.requests "
					  "UNION ALL SELECT last_value FROM agentguard.request_id_seq) AS s(id)"
					: "SELECT pg_catalog.max(id) FROM agentguard.requests", true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	return isnull ? 0 : id;
}

}  // namespace agentguard
