/*
 * audit_chain.cpp — hash chain of agentguard.audit_log and agentguard.verify_audit(). See audit_chain.hpp.
 *
 * Encoding of a row (version 1), fed to SHA-256 after the tag and the 32 bytes of prev_hash: for each of
 * the AG_CHAIN_VALUES values in order, "N;" for NULL, otherwise "<length>:<text>;" where text is
 *   timestamptz  the microseconds since 2000-01-01 UTC, in decimal (no DateStyle or TimeZone involved);
 *   name, text   the bytes as stored;   inet  inet_out's canonical text;   integers  decimal;
 *   text[]       "<n>[" then each element as above, then "]".
 * The chain starts at 32 zero bytes; after purge_audit() the first remaining row links to the boundary
 * recorded in agentguard.audit_purges.
 *
 * Lock: an advisory-class lock tag of our own (field4 = 3, which no SQL-level advisory lock function
 * uses, so no session can take it and stall the writers), held until the end of the transaction. The
 * head is read after the lock is granted, with the latest snapshot, so it is right in any isolation
 * level: every writer that linked before us has committed or rolled back by then.
 */
#include "pg/pg_headers.hpp"

#include "pg/audit_chain.hpp"
#include "pg/identity.hpp"
#include "pg/owner_sql.hpp"
#include "pg/sha256.hpp"

namespace agentguard {

static const char kChainTag[] = "pg_agentguard audit chain v1";
#define AG_CHAIN_LOCK_KEY1 0x61677564	/* "agud" */
#define AG_CHAIN_LOCK_KEY2 0x63686e31	/* "chn1" */

static const Oid kChainTypes[AG_CHAIN_VALUES] = {
	TIMESTAMPTZOID, NAMEOID, NAMEOID, NAMEOID, TEXTOID, INETOID, INT4OID, TEXTOID, TEXTOID,
	TEXTARRAYOID, TEXTOID, TEXTOID, INT8OID, INT8OID, INT8OID
};

static LocalTransactionId head_lxid = InvalidLocalTransactionId;
static uint8 head[PG_SHA256_DIGEST_LENGTH];

static void
put_text(StringInfo buf, const char *s, int len)
{
	appendStringInfo(buf, "%d:", len);
	appendBinaryStringInfo(buf, s, len);
	appendStringInfoChar(buf, ';');
}

static void
put_value(StringInfo buf, Oid type, Datum d, bool isnull)
{
	char	   *s;

	if (isnull)
	{
		appendStringInfoString(buf, "N;");
		return;
	}
	switch (type)
	{
		case TIMESTAMPTZOID:
			s = psprintf(INT64_FORMAT, (int64) DatumGetTimestampTz(d));
			break;
		case NAMEOID:
			s = pstrdup(NameStr(*DatumGetName(d)));
			break;
		case INETOID:
			s = DatumGetCString(DirectFunctionCall1(inet_out, d));
			break;
		case INT4OID:
			s = psprintf("%d", DatumGetInt32(d));
			break;
		case INT8OID:
			s = psprintf(INT64_FORMAT, DatumGetInt64(d));
			break;
		case TEXTARRAYOID:
			{
				ArrayType  *arr = DatumGetArrayTypeP(d);
				Datum	   *elems;
				bool	   *enulls;
				int			n;

				deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &n);
				appendStringInfo(buf, "%d[", n);
				for (int i = 0; i < n; i++)
					put_value(buf, TEXTOID, elems[i], enulls[i]);
				appendStringInfoChar(buf, ']');
				return;
			}
		default:
			{
				text	   *t = DatumGetTextPP(d);

				put_text(buf, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
				return;
			}
	}
	put_text(buf, s, strlen(s));
}

static void
row_hash(const uint8 prev[PG_SHA256_DIGEST_LENGTH], const Datum *v, const bool *isnull,
		 uint8 out[PG_SHA256_DIGEST_LENGTH])
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, kChainTag, sizeof(kChainTag) - 1);
	appendBinaryStringInfo(&buf, reinterpret_cast<const char *>(prev), PG_SHA256_DIGEST_LENGTH);
	for (int i = 0; i < AG_CHAIN_VALUES; i++)
		put_value(&buf, kChainTypes[i], v[i], isnull[i]);
	sha256_of(buf.data, buf.len, out);
	pfree(buf.data);
}

void
audit_chain_lock(void)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, AG_CHAIN_LOCK_KEY1, AG_CHAIN_LOCK_KEY2, 3);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

/* Copies the 32-byte bytea in column col of tup into out; false when NULL or of another length. */
static bool
digest_of(HeapTuple tup, TupleDesc desc, int col, uint8 out[PG_SHA256_DIGEST_LENGTH])
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);
	bytea	   *b;

	if (isnull)
		return false;
	b = DatumGetByteaPP(d);
	if (VARSIZE_ANY_EXHDR(b) != PG_SHA256_DIGEST_LENGTH)
		return false;
	memcpy(out, VARDATA_ANY(b), PG_SHA256_DIGEST_LENGTH);
	return true;
}

/* Reads the chain head with the latest snapshot (the lock is held). */
static void
read_head(void)
{
	static const char *const kHead =
		"SELECT row_hash FROM agentguard.audit_log ORDER BY id DESC LIMIT 1";
	static const char *const kBoundary =
		"SELECT boundary_hash FROM agentguard.audit_purges ORDER BY id DESC LIMIT 1";
	SPIPlanPtr	plan;
	bool		found = false;

	memset(head, 0, sizeof(head));
	plan = SPI_prepare(kHead, 0, nullptr);
	if (plan == nullptr ||
		SPI_execute_snapshot(plan, nullptr, nullptr, GetLatestSnapshot(), InvalidSnapshot, true, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "pg_agentguard: reading the audit chain head failed");
	if (SPI_processed == 1)
	{
		found = true;
		(void) digest_of(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, head);
	}
	SPI_freeplan(plan);
	if (found)
		return;
	/* Everything purged: link to the last boundary. */
	plan = SPI_prepare(kBoundary, 0, nullptr);
	if (plan == nullptr ||
		SPI_execute_snapshot(plan, nullptr, nullptr, GetLatestSnapshot(), InvalidSnapshot, true, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "pg_agentguard: reading agentguard.audit_purges failed");
	if (SPI_processed == 1)
		(void) digest_of(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, head);
	SPI_freeplan(plan);
}

void
audit_chain_link(const Datum *v, const char *nulls, bool reread, Datum *prev, Datum *hash)
{
	bool		isnull[AG_CHAIN_VALUES];
	uint8		next[PG_SHA256_DIGEST_LENGTH];

	if (reread || head_lxid != AG_MY_LXID)
	{
		audit_chain_lock();
		read_head();
		head_lxid = reread ? InvalidLocalTransactionId : AG_MY_LXID;
	}
	for (int i = 0; i < AG_CHAIN_VALUES; i++)
		isnull[i] = nulls != nullptr && nulls[i] == 'n';
	row_hash(head, v, isnull, next);
	*prev = PointerGetDatum(digest_bytea(head));
	*hash = PointerGetDatum(digest_bytea(next));
	memcpy(head, next, sizeof(head));
}

/* ---------------------------------------------------------------------------------------------------
 * verify_audit() */

struct VerifyState
{
	int64		checked;
	int64		unchained;
	int64		broken_id;
	const char *problem;
	int64		last_id;
	bool		have_last;
	bool		started;
	uint8		last[PG_SHA256_DIGEST_LENGTH];
	MemoryContext row_cxt;		/* reset after each row: a chain of millions of rows */
};

static bool
is_zero(const uint8 *d)
{
	for (int i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
		if (d[i] != 0)
			return false;
	return true;
}

/* Is d a recorded purge boundary? */
static bool
is_boundary(const uint8 *d)
{
	Oid			types[1] = {BYTEAOID};
	Datum		args[1] = {PointerGetDatum(digest_bytea(d))};

	if (SPI_execute_with_args("SELECT 1 FROM agentguard.audit_purges WHERE boundary_hash OPERATOR(pg_catalog.=) $1",
							  1, types, args, nullptr, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "pg_agentguard: reading agentguard.audit_purges failed");
	return SPI_processed > 0;
}

static void
verify_row(VerifyState *st, HeapTuple tup, TupleDesc desc)
{
	Datum		v[AG_CHAIN_VALUES];
	bool		isnull[AG_CHAIN_VALUES];
	uint8		prev[PG_SHA256_DIGEST_LENGTH];
	uint8		stored[PG_SHA256_DIGEST_LENGTH];
	uint8		computed[PG_SHA256_DIGEST_LENGTH];
	bool		null_id;
	int64		id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &null_id));
	bool		has_prev = digest_of(tup, desc, AG_CHAIN_VALUES + 2, prev);
	bool		has_hash = digest_of(tup, desc, AG_CHAIN_VALUES + 3, stored);
	bool		pnull;
	bool		hnull;

	(void) SPI_getbinval(tup, desc, AG_CHAIN_VALUES + 3, &hnull);
	(void) SPI_getbinval(tup, desc, AG_CHAIN_VALUES + 2, &pnull);
	st->checked++;
	st->last_id = id;
	if (!st->started && hnull && pnull)
	{
		st->unchained++;		/* written before the chain existed (version 1.0) */
		return;
	}
	if (!has_prev || !has_hash)
	{
		st->broken_id = id;
		st->problem = "the row has no valid hash: it was inserted or changed by hand";
		return;
	}
	for (int i = 0; i < AG_CHAIN_VALUES; i++)
		v[i] = SPI_getbinval(tup, desc, i + 2, &isnull[i]);
	{
		MemoryContext old = MemoryContextSwitchTo(st->row_cxt);

		row_hash(prev, v, isnull, computed);
		MemoryContextSwitchTo(old);
		MemoryContextReset(st->row_cxt);
	}
	if (memcmp(computed, stored, sizeof(stored)) != 0)
	{
		st->broken_id = id;
		st->problem = "the row's values do not match its hash: it was changed after it was written";
		return;
	}
	if (!st->started)
	{
		if (!is_zero(prev) && !is_boundary(prev))
		{
			st->broken_id = id;
			st->problem = "the rows before this one were deleted outside agentguard.purge_audit()";
			return;
		}
	}
	else if (memcmp(prev, st->last, sizeof(prev)) != 0)
	{
		st->broken_id = id;
		st->problem = "the row does not link to the row before it: a row was deleted or inserted by hand";
		return;
	}
	st->started = true;
	memcpy(st->last, stored, sizeof(stored));
	st->have_last = true;
}

static void
verify_chain(VerifyState *st)
{
	static const char *const kRows =
		"SELECT id, logged_at, database, session_role, \"current_role\", application_name, client_addr, "
		"backend_pid, command, statement, objects, decision, reason, rows_affected, request_id, token_id, "
		"prev_hash, row_hash FROM agentguard.audit_log ORDER BY id";
	SPIPlanPtr	plan = SPI_prepare(kRows, 0, nullptr);
	Portal		portal;

	if (plan == nullptr)
		elog(ERROR, "pg_agentguard: could not read agentguard.audit_log");
	st->row_cxt = AllocSetContextCreate(CurrentMemoryContext, "agentguard verify_audit",
										ALLOCSET_SMALL_SIZES);
	portal = SPI_cursor_open("agentguard_verify_audit", plan, nullptr, nullptr, true);
	for (;;)
	{
		SPITupleTable *tt;
		uint64		n;

		SPI_cursor_fetch(portal, true, 1000);
		n = SPI_processed;
		tt = SPI_tuptable;
		if (n == 0)
			break;
		for (uint64 i = 0; i < n && st->broken_id == 0; i++)
			verify_row(st, tt->vals[i], tt->tupdesc);
		SPI_freetuptable(tt);
		if (st->broken_id != 0)
			break;
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	SPI_freeplan(plan);
}

}  // namespace agentguard

using namespace agentguard;

extern "C" {
PGDLLEXPORT Datum agentguard_verify_audit(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(agentguard_verify_audit);

Datum
agentguard_verify_audit(PG_FUNCTION_ARGS)
{
	VerifyState st;
	OwnerSql	os;
	TupleDesc	desc;
	Datum		values[7];
	bool		nulls[7] = {false, false, false, true, true, true, true};

	if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "pg_agentguard: verify_audit() must return a record");
	memset(&st, 0, sizeof(st));

	owner_sql_begin(&os);
	PG_TRY();
	{
		verify_chain(&st);
	}
	PG_CATCH();
	{
		owner_sql_abort(&os);
		PG_RE_THROW();
	}
	PG_END_TRY();
	owner_sql_end(&os);

	values[0] = BoolGetDatum(st.broken_id == 0);
	values[1] = Int64GetDatum(st.checked);
	values[2] = Int64GetDatum(st.unchained);
	if (st.broken_id != 0)
	{
		values[3] = Int64GetDatum(st.broken_id);
		values[4] = CStringGetTextDatum(st.problem);
		nulls[3] = nulls[4] = false;
	}
	if (st.checked > 0)
	{
		values[5] = Int64GetDatum(st.last_id);
		nulls[5] = false;
	}
	if (st.have_last && st.broken_id == 0)
	{
		char		hex[2 * PG_SHA256_DIGEST_LENGTH + 1];

		hex_encode(reinterpret_cast<const char *>(st.last), PG_SHA256_DIGEST_LENGTH, hex);
		hex[2 * PG_SHA256_DIGEST_LENGTH] = '\0';
		values[6] = CStringGetTextDatum(hex);
		nulls[6] = false;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

}  // extern "C"
