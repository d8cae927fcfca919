/*
 * tokens.cpp — does the token in agentguard.token let this statement through? (tokens.hpp, SPEC §5)
 *
 * A token is "agt_<id>_<hex secret>" (letter case does not matter). The row agentguard.token_store[id]
 * holds the SHA-256 of the lower-case hex secret, the login role, the database, the SHA-256 of the
 * normalised statement, the objects (NULL: text only), the expiry and the uses left.
 *
 * Consuming a use is an UPDATE ... WHERE uses_left > 0 of that row in the agent's own transaction:
 *  - the use counts only if that transaction commits; a rollback gives it back without any code of ours;
 *  - two sessions racing for the last use serialise on the row lock: the second one's UPDATE re-checks
 *    uses_left on the committed row (READ COMMITTED) and finds none left, or fails with a serialisation
 *    error (REPEATABLE READ and above) — either way exactly one wins;
 *  - expiry is tested against clock_timestamp(), the wall clock, not the transaction start.
 * Nothing is cached across statements or transactions: revocation takes effect at once.
 *
 * Objects: the token's row holds every object the statement reached when it was blocked (its frozen
 * scope). The statement matches when everything it reaches now is in that set.
 *
 * A token that does not match is never an error by itself: the statement is then judged as if no token
 * were set. The agent is told why in the block error's detail (malformed, not valid, expired, revoked, used up, another
 * role, another database, another statement, objects the approval did not cover). Until the secret
 * matches, nothing about the row is revealed: an unknown id and a wrong secret read the same.
 */
#include "pg/pg_headers.hpp"

#include <string>

#include "core/text.hpp"
#include "core/token.hpp"
#include "pg/guc.hpp"
#include "pg/owner_sql.hpp"
#include "pg/sha256.hpp"
#include "pg/pg_guard.hpp"
#include "pg/event_sink.hpp"
#include "pg/identity.hpp"
#include "pg/tokens.hpp"

namespace agentguard {

static const char *const kSelectToken =
	"SELECT secret_hash, agent_oid, database_oid, statement_hash, object_oids, revoked, "
	"uses_left OPERATOR(pg_catalog.<=) 0, "
	"expires_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp(), expires_at "
	"FROM agentguard.token_store WHERE id OPERATOR(pg_catalog.=) $1";

static const char *const kConsumeUse =
	"UPDATE agentguard.token_store SET uses_left = uses_left OPERATOR(pg_catalog.-) 1 "
	"WHERE id OPERATOR(pg_catalog.=) $1 AND uses_left OPERATOR(pg_catalog.>) 0 AND NOT revoked "
	"AND expires_at OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp() "
	"RETURNING id";

/* Compares two digests in time independent of where they differ. */
static bool
digests_equal(const char *a, const uint8 *b, size_t n)
{
	unsigned char diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= static_cast<unsigned char>(a[i]) ^ b[i];
	return diff == 0;
}

static bool
bytea_is_digest(Datum d, bool isnull, const uint8 *digest, bool constant_time)
{
	bytea	   *b;

	if (isnull)
		return false;
	b = DatumGetByteaPP(d);
	if (VARSIZE_ANY_EXHDR(b) != PG_SHA256_DIGEST_LENGTH)
		return false;
	if (constant_time)
		return digests_equal(VARDATA_ANY(b), digest, PG_SHA256_DIGEST_LENGTH);
	return memcmp(VARDATA_ANY(b), digest, PG_SHA256_DIGEST_LENGTH) == 0;
}

static int
oid_cmp_asc(const void *a, const void *b)
{
	Oid			x = *static_cast<const Oid *>(a);
	Oid			y = *static_cast<const Oid *>(b);

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* The token's objects as a sorted array (in the caller's context); false for a NULL element. */
static bool
token_objects(Datum d, Oid **out, int *nout)
{
	ArrayType  *arr = DatumGetArrayTypeP(d);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	Oid		   *oids;

	deconstruct_array(arr, OIDOID, sizeof(Oid), true, TYPALIGN_INT, &elems, &nulls, &n);
	oids = static_cast<Oid *>(palloc(sizeof(Oid) * (n > 0 ? n : 1)));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			return false;
		oids[i] = DatumGetObjectId(elems[i]);
	}
	qsort(oids, n, sizeof(Oid), oid_cmp_asc);
	*out = oids;
	*nout = n;
	return true;
}

/* The first objects of reach that the token's sorted set does not hold; NIL when it holds all. */
static List *
objects_outside(List *reach, const Oid *covered, int ncovered)
{
	ListCell   *lc;
	List	   *outside = NIL;

	foreach(lc, reach)
	{
		Oid			o = lfirst_oid(lc);

		if (!OidIsValid(o))
			continue;			/* an absent object (IF EXISTS) reaches nothing */
		if (bsearch(&o, covered, ncovered, sizeof(Oid), oid_cmp_asc) == nullptr)
			outside = lappend_oid(outside, o);
	}
	return outside;
}

/* "public.c, 16423": relations by name, other objects by OID, at most five. */
static char *
describe_oids(List *oids)
{
	StringInfoData buf;
	ListCell   *lc;
	int			n = 0;

	initStringInfo(&buf);
	foreach(lc, oids)
	{
		Oid			o = lfirst_oid(lc);
		char	   *rel = get_rel_name(o);

		if (n == 5)
		{
			appendStringInfo(&buf, " and %d more", list_length(oids) - 5);
			break;
		}
		if (n++ > 0)
			appendStringInfoString(&buf, ", ");
		if (rel != nullptr)
			appendStringInfoString(&buf, quote_qualified_identifier(get_namespace_name(get_rel_namespace(o)), rel));
		else
			appendStringInfo(&buf, "object %u", o);
	}
	return buf.data;
}

struct TokenCheck
{
	int64		token_id;
	const uint8 *secret_digest;
	const uint8 *statement_digest;
	List	   *reach;			/* Oid: everything the statement reaches now */
	char	   *why;			/* out: why it did not match, NULL on a match */
	Oid		   *covered;		/* out: the token's objects, sorted (NULL: bound to the text only) */
	int			ncovered;
};

/* Inside owner_sql: checks the row of token_id and consumes one use. Returns true on a match. */
static bool
check_and_consume(TokenCheck *c)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(c->token_id)};
	HeapTuple	row;
	TupleDesc	desc;
	bool		isnull;
	Datum		d = (Datum) 0;

	if (SPI_execute_with_args(kSelectToken, 1, argtypes, args, nullptr, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "pg_agentguard: reading the token store failed");
	row = SPI_processed == 1 ? SPI_tuptable->vals[0] : nullptr;
	desc = SPI_tuptable->tupdesc;

	/* Nothing about the row is revealed before the secret matched. */
	isnull = true;
	if (row != nullptr)
		d = SPI_getbinval(row, desc, 1, &isnull);
	if (row == nullptr || !bytea_is_digest(d, isnull, c->secret_digest, true))
	{
		c->why = pstrdup("it is not a valid token (unknown or mistyped)");
		return false;
	}
	d = SPI_getbinval(row, desc, 3, &isnull);
	if (isnull || DatumGetObjectId(d) != MyDatabaseId)
	{
		c->why = pstrdup("it was issued for another database");
		return false;
	}
	d = SPI_getbinval(row, desc, 2, &isnull);
	if (isnull || DatumGetObjectId(d) != acting_role_oid())
	{
		c->why = pstrdup("it was issued to another role (a token is bound to the login role it was approved for)");
		return false;
	}
	if (DatumGetBool(SPI_getbinval(row, desc, 6, &isnull)))
	{
		c->why = pstrdup("it was revoked");
		return false;
	}
	if (DatumGetBool(SPI_getbinval(row, desc, 8, &isnull)))
	{
		c->why = psprintf("it expired at %s", SPI_getvalue(row, desc, 9));
		return false;
	}
	if (DatumGetBool(SPI_getbinval(row, desc, 7, &isnull)))
	{
		c->why = pstrdup("it was used up");
		return false;
	}
	d = SPI_getbinval(row, desc, 4, &isnull);
	if (!bytea_is_digest(d, isnull, c->statement_digest, false))
	{
		c->why = pstrdup("it was approved for another statement (the text differs; only white space, comments and a trailing semicolon may)");
		return false;
	}
	d = SPI_getbinval(row, desc, 5, &isnull);
	if (!isnull)
	{
		List	   *outside;

		if (!token_objects(d, &c->covered, &c->ncovered))
		{
			c->why = pstrdup("its objects are unreadable");
			return false;
		}
		outside = objects_outside(c->reach, c->covered, c->ncovered);
		if (outside != NIL)
		{
			c->why = psprintf("the statement now reaches objects the approval did not cover (%s)",
							  describe_oids(outside));
			return false;
		}
	}

	/* The row lock taken here is what makes racing sessions take turns (see the file header). */
	if (SPI_execute_with_args(kConsumeUse, 1, argtypes, args, nullptr, false, 0) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "pg_agentguard: consuming a token use failed");
	if (SPI_processed != 1)
	{
		c->why = pstrdup("it was used up (by another session just now)");
		return false;
	}
	return true;
}

struct OwnerCheck
{
	TokenCheck *c;
	MemoryContext caller;
	bool		matched;		/* out */
};

static void
check_body(void *arg)
{
	OwnerCheck *o = static_cast<OwnerCheck *>(arg);
	TokenCheck *c = o->c;

	o->matched = check_and_consume(c);
	/* SPI's memory goes at owner_sql_end: the results move to the caller's context. */
	if (c->why != nullptr)
		c->why = MemoryContextStrdup(o->caller, c->why);
	if (c->covered != nullptr)
	{
		Oid		   *copy = static_cast<Oid *>(MemoryContextAlloc(o->caller, sizeof(Oid) * (c->ncovered > 0 ? c->ncovered : 1)));

		memcpy(copy, c->covered, sizeof(Oid) * c->ncovered);
		c->covered = copy;
	}
}

static bool
check_as_owner(TokenCheck *c)
{
	OwnerCheck	o = {c, CurrentMemoryContext, false};

	owner_sql_run(check_body, nullptr, &o);
	return o.matched;
}

/* Why the last token presented in this statement did not apply; read by the block error. */
static char refusal[512];
static TimestampTz refusal_statement = 0;

static void
tell_agent(const char *why)
{
	snprintf(refusal, sizeof(refusal), "The token in agentguard.token was not used: %s.", why);
	refusal_statement = GetCurrentStatementStartTimestamp();
}

void
token_note_refusal(const char *why)
{
	tell_agent(why);
}

const char *
token_refusal_note(void)
{
	if (refusal[0] == '\0' || refusal_statement != GetCurrentStatementStartTimestamp())
		return nullptr;
	return refusal;
}

int64
token_match_covering(const char *raw_statement, List *object_oids, Oid **covered, int *ncovered)
{
	const char *presented = guc_token;
	bool		parsed = false;
	char	   *secret_hex = nullptr;
	char	   *normalized = nullptr;
	uint8		secret_digest[PG_SHA256_DIGEST_LENGTH];
	uint8		statement_digest[PG_SHA256_DIGEST_LENGTH];
	TokenCheck	c;
	bool		matched;
	LexOptions	lex;

	if (covered != nullptr)
	{
		*covered = nullptr;
		*ncovered = 0;
	}
	refusal[0] = '\0';
	if (presented == nullptr || presented[0] == '\0' || raw_statement == nullptr)
		return 0;
	memset(&c, 0, sizeof(c));
	/* Consuming a use writes: where that is impossible no token can be honoured. */
	if (XactReadOnly || RecoveryInProgress() || IsInParallelMode())
	{
		tell_agent("a token is used up by a write, and this transaction is read-only");
		return 0;
	}
	if (!OidIsValid(extension_owner()))
	{
		tell_agent("pg_agentguard is not installed in this database, so no token can be checked here");
		return 0;				/* no token store in this database: fail closed */
	}

	lex = session_lex_options();
	ag_cpp_call("checking an approval token", [&]() {
		ParsedToken p;

		if (parse_token(presented, &p))
		{
			parsed = true;
			c.token_id = p.token_id;
			secret_hex = ag_pstrdup_nothrow(p.secret_hex);
			normalized = ag_pstrdup_nothrow(normalize_statement(raw_statement, lex));
		}
	});
	if (!parsed)
	{
		tell_agent("it is malformed (a token has the form agt_<id>_<hex digits>)");
		return 0;
	}
	ag_check_alloc(secret_hex);
	ag_check_alloc(normalized);

	sha256_of(secret_hex, strlen(secret_hex), secret_digest);
	sha256_of(normalized, strlen(normalized), statement_digest);

	c.secret_digest = secret_digest;
	c.statement_digest = statement_digest;
	c.reach = object_oids;
	matched = check_as_owner(&c);
	if (!matched)
	{
		tell_agent(c.why != nullptr ? c.why : "it does not match");
		return 0;
	}
	if (covered != nullptr)
	{
		*covered = c.covered;
		*ncovered = c.ncovered;
	}
	return c.token_id;
}

int64
token_match(const char *raw_statement, List *object_oids)
{
	return token_match_covering(raw_statement, object_oids, nullptr, nullptr);
}

/* The latest decision on a request for this statement (the partial index requests_decided_idx). */
static const char *const kLatestDecision =
	"SELECT status, decided_by, decided_at, deny_reason FROM agentguard.requests "
	"WHERE statement_hash OPERATOR(pg_catalog.=) $1 AND status OPERATOR(pg_catalog.<>) 'pending' "
	"AND agent_oid OPERATOR(pg_catalog.=) $2 AND database_oid OPERATOR(pg_catalog.=) $3 "
	"ORDER BY decided_at DESC LIMIT 1";

struct DenialLookup
{
	Datum		args[3];
	MemoryContext caller;
	char	   *note;			/* out, in caller */
};

static void
denial_body(void *arg)
{
	DenialLookup *d = static_cast<DenialLookup *>(arg);
	Oid			argtypes[3] = {BYTEAOID, OIDOID, OIDOID};
	HeapTuple	row;
	TupleDesc	desc;
	char	   *status;
	char	   *by;
	char	   *at;
	char	   *reason;

	if (SPI_execute_with_args(kLatestDecision, 3, argtypes, d->args, nullptr, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "pg_agentguard: reading agentguard.requests failed");
	if (SPI_processed != 1)
		return;
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	status = SPI_getvalue(row, desc, 1);
	if (status == nullptr || strcmp(status, "denied") != 0)
		return;
	by = SPI_getvalue(row, desc, 2);
	at = SPI_getvalue(row, desc, 3);
	reason = SPI_getvalue(row, desc, 4);
	d->note = MemoryContextStrdup(d->caller,
								  psprintf("A human (%s) denied this statement on %s%s%s. Do not retry it.",
										   by != nullptr ? by : "an approver", at != nullptr ? at : "an earlier date",
										   reason != nullptr ? " because: " : " without giving a reason",
										   reason != nullptr ? reason : ""));
}

char *
denial_note(const char *normalized_statement)
{
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	DenialLookup d;

	if (normalized_statement == nullptr || !OidIsValid(extension_owner()) || RecoveryInProgress())
		return nullptr;
	sha256_of(normalized_statement, strlen(normalized_statement), digest);
	d.args[0] = PointerGetDatum(digest_bytea(digest));
	d.args[1] = ObjectIdGetDatum(acting_role_oid());
	d.args[2] = ObjectIdGetDatum(MyDatabaseId);
	d.caller = CurrentMemoryContext;
	d.note = nullptr;
	owner_sql_run(denial_body, nullptr, &d);
	return d.note;
}

}  // namespace agentguard
