/*
 * audit_enqueue.cpp — the producer side of the audit queue (audit.hpp): an intercepting backend turns
 * its event into one serialized record and appends it to the shared ring (audit_queue.cpp); and
 * agentguard.queue_stats(), the counters DBAs read.
 *
 * The server-log line that the event sink writes before calling audit_enqueue() is a record of its own:
 * whatever cannot be queued (the queue stayed full, no extension in the database, a standby) is still
 * in the server log, and counted here where it can be.
 */
#include "pg/pg_headers.hpp"

#include <cstring>
#include <new>

#include "core/record.hpp"
#include "pg/audit.hpp"
#include "pg/audit_queue.hpp"
#include "pg/event_sink.hpp"
#include "pg/pg_guard.hpp"

namespace agentguard {

/* The SHA-256 of the normalised statement, with the server's own implementation. */
static void
statement_sha256(const char *normalized, uint8 *out)
{
	text	   *t = cstring_to_text(normalized);
	bytea	   *h = DatumGetByteaPP(DirectFunctionCall1(sha256_bytea, PointerGetDatum(t)));

	Assert(VARSIZE_ANY_EXHDR(h) == 32);
	memcpy(out, VARDATA_ANY(h), 32);
	pfree(t);
	pfree(h);
}

static void
to_record(const EventData *ev, const char *login_role, const uint8 *hash, AuditRecord *r)
{
	ListCell   *lc;

	r->database_oid = ev->database_oid;
	r->login_role_oid = ev->login_role_oid;
	r->logged_at = ev->logged_at;
	r->backend_pid = ev->backend_pid;
	r->decision = static_cast<uint8_t>(ev->decision);
	r->approvable = ev->approvable;
	r->extension_present = ev->extension_present;
	r->read_only = ev->read_only;
	r->has_statement_hash = hash != nullptr;
	if (hash != nullptr)
		memcpy(r->statement_hash, hash, 32);
	r->rows_affected = ev->rows_affected;
	r->request_id = ev->request_id;
	r->token_id = ev->token_id;
	r->database = ev->database ? ev->database : "";
	r->login_role = login_role ? login_role : "";
	r->session_role = ev->session_role ? ev->session_role : "";
	r->current_role = ev->current_role ? ev->current_role : "";
	r->application_name = ev->application_name ? ev->application_name : "";
	r->client_addr = ev->client_addr ? ev->client_addr : "";
	r->command = ev->command ? ev->command : "";
	r->statement = ev->statement ? ev->statement : "";
	r->reason = ev->reason ? ev->reason : "";
	r->notify_payload = ev->notify_payload ? ev->notify_payload : "";
	foreach(lc, ev->objects)
		r->objects.emplace_back(static_cast<const char *>(lfirst(lc)));
	foreach(lc, ev->object_oids)
		r->object_oids.push_back(lfirst_oid(lc));
}

void
audit_enqueue(const EventData *ev)
{
	uint8		hash[32];
	bool		has_hash = false;
	const char *login_role;
	char	   *buf = nullptr;
	uint32		len = 0;

	/* No shared state (standalone backend): the server-log line is the only record. */
	if (!audit_queue_ready() || ev == nullptr)
		return;
	/* A standby cannot write rows and runs no writer: the server-log line is the record there, and
	 * nothing waits on a queue that would only fill. */
	if (RecoveryInProgress())
		return;
	/* Without the extension in this database there is nowhere to write: SPEC §1 makes the server log
	 * the record. Counted, so DBAs can see it happen. */
	if (!ev->extension_present)
	{
		audit_queue_count(QC_DISCARDED, 1);
		return;
	}

	/* Everything that calls PostgreSQL happens before the C++ part. */
	if (ev->statement_normalized != nullptr)
	{
		statement_sha256(ev->statement_normalized, hash);
		has_hash = true;
	}
	login_role = GetUserNameFromId(ev->login_role_oid, true);

	ag_cpp_call("serializing an audit record", [&]() {
		/* Catch here: a failure to queue must not turn the agent's error (or an approved statement)
		 * into an internal error; it becomes an overflow below. */
		try
		{
			AuditRecord r;
			to_record(ev, login_role, has_hash ? hash : nullptr, &r);
			std::string bytes = serialize_record(r);
			if (bytes.size() <= AG_QUEUE_MAX_ENTRY)
			{
				buf = static_cast<char *>(MemoryContextAllocExtended(CurrentMemoryContext, bytes.size(),
																	 MCXT_ALLOC_NO_OOM));
				if (buf != nullptr)
				{
					memcpy(buf, bytes.data(), bytes.size());
					len = static_cast<uint32>(bytes.size());
				}
			}
		}
		catch (...)
		{
			buf = nullptr;
		}
	});

	if (buf == nullptr || !audit_queue_push(ev->database_oid, buf, len))
	{
		audit_queue_count(QC_OVERFLOWED, 1);
		ereport(LOG,
				(errmsg("pg_agentguard: audit queue is full; the event logged above was not queued for agentguard.audit_log"),
				 errhidestmt(true)));
	}
	if (buf != nullptr)
		pfree(buf);
}

}  // namespace agentguard

/* ---------------------------------------------------------------------------------------------------
 * agentguard.queue_stats(): one row of counters for DBAs. */

extern "C" {
PG_FUNCTION_INFO_V1(ag_queue_stats);
}

extern "C" Datum
ag_queue_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[11];
	bool		nulls[11];
	agentguard::QueueStats st;

	if (get_call_result_type(fcinfo, nullptr, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("function returning record called in context that cannot accept type record")));
	if (tupdesc->natts != 11)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("agentguard.queue_stats() is declared with %d columns, expected 11", tupdesc->natts),
				 errhint("Update the pg_agentguard extension.")));
	tupdesc = BlessTupleDesc(tupdesc);
	memset(nulls, 0, sizeof(nulls));
	if (!agentguard::audit_queue_stats(&st))
	{
		for (int i = 0; i < 11; i++)
			nulls[i] = true;
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
	}
	values[0] = Int64GetDatum((int64) st.enqueued);
	values[1] = Int64GetDatum((int64) st.written);
	values[2] = Int64GetDatum((int64) st.overflowed);
	values[3] = Int64GetDatum((int64) st.discarded);
	values[4] = Int64GetDatum((int64) st.write_failures);
	values[5] = Int64GetDatum((int64) st.worker_restarts);
	values[6] = Int64GetDatum((int64) st.pending);
	values[7] = Int64GetDatum((int64) st.queued_bytes);
	values[8] = Int64GetDatum((int64) st.queue_bytes);
	values[9] = Int32GetDatum(st.writers);
	values[10] = Int32GetDatum(st.launcher_pid);
	nulls[10] = st.launcher_pid == 0;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
