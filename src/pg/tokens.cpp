/*
 * tokens.cpp — does the token in agentguard.token let this statement through? (tokens.hpp, SPEC §5)
 *
 * A token is "agt_<id>_<hex secret>". The row agentguard.token_store[id] holds the SHA-256 of the
 * lower-case hex secret, the login role, the database, the SHA-256 of the normalised statement, the
 * objects (NULL: text only), the expiry and the uses left.
 *
 * Consuming a use is an UPDATE ... WHERE uses_left > 0 of that row in the agent's own transaction:
 *  - the use counts only if that transaction commits; a rollback gives it back without any code of ours;
 *  - two sessions racing for the last use serialise on the row lock: the second one's UPDATE re-checks
 *    uses_left on the committed row (READ COMMITTED) and finds none left, or fails with a serialisation
 *    error (REPEATABLE READ and above) — either way exactly one wins;
 *  - expiry is tested against clock_timestamp(), the wall clock, not the transaction start.
 * Nothing is cached across statements or transactions: revocation takes effect at once.
 *
 * A mismatch of any kind returns 0 without a word: the statement is then judged as if no token were
 * set, and the block error is the answer the agent gets.
 */
#include "pg/pg_headers.hpp"

#include <string>

#include "core/text.hpp"
#include "core/token.hpp"
#include "pg/guc.hpp"
#include "pg/owner_sql.hpp"
#include "pg/pg_guard.hpp"
#include "pg/event_sink.hpp"
#include "pg/tokens.hpp"

namespace agentguard {

static const char *const kSelectToken =
	"SELECT secret_hash, agent_oid, database_oid, statement_hash, object_oids "
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

static bool
objects_match(Datum d, bool isnull, List *object_oids)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	Oid		   *oids;

	if (isnull)
		return true;			/* a token of grant_token(): bound to the text only */
	arr = DatumGetArrayTypeP(d);
	deconstruct_array(arr, OIDOID, sizeof(Oid), true, TYPALIGN_INT, &elems, &nulls, &n);
	oids = static_cast<Oid *>(palloc(sizeof(Oid) * (n > 0 ? n : 1)));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			return false;
		oids[i] = DatumGetObjectId(elems[i]);
	}
	return oid_lists_equal_as_sets(object_oids, oids, n);
}

/* Inside owner_sql: checks the row of token_id and consumes one use. Returns true on a match. */
static bool
check_and_consume(int64 token_id, const uint8 *secret_digest, const uint8 *statement_digest,
				  List *object_oids)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(token_id)};
	HeapTuple	row;
	TupleDesc	desc;
	bool		isnull;
	Datum		d;
	bool		ok;

	if (SPI_execute_with_args(kSelectToken, 1, argtypes, args, nullptr, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "pg_agentguard: reading the token store failed");
	if (SPI_processed != 1)
		return false;
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;

	d = SPI_getbinval(row, desc, 1, &isnull);
	ok = bytea_is_digest(d, isnull, secret_digest, true);

	d = SPI_getbinval(row, desc, 2, &isnull);
	ok = ok && !isnull && DatumGetObjectId(d) == GetAuthenticatedUserId();

	d = SPI_getbinval(row, desc, 3, &isnull);
	ok = ok && !isnull && DatumGetObjectId(d) == MyDatabaseId;

	d = SPI_getbinval(row, desc, 4, &isnull);
	ok = ok && bytea_is_digest(d, isnull, statement_digest, false);

	if (ok)
	{
		d = SPI_getbinval(row, desc, 5, &isnull);
		ok = objects_match(d, isnull, object_oids);
	}
	if (!ok)
		return false;

	/* The row lock taken here is what makes racing sessions take turns (see the file header). */
	if (SPI_execute_with_args(kConsumeUse, 1, argtypes, args, nullptr, false, 0) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "pg_agentguard: consuming a token use failed");
	return SPI_processed == 1;
}

static bool
check_as_owner(int64 token_id, const uint8 *secret_digest, const uint8 *statement_digest, List *object_oids)
{
	OwnerSql	os;
	bool		matched = false;

	owner_sql_begin(&os);
	PG_TRY();
	{
		matched = check_and_consume(token_id, secret_digest, statement_digest, object_oids);
	}
	PG_CATCH();
	{
		owner_sql_abort(&os);
		PG_RE_THROW();
	}
	PG_END_TRY();
	owner_sql_end(&os);
	return matched;
}

int64
token_match(const char *raw_statement, List *object_oids)
{
	const char *presented = token_presented();	/* set in this transaction, or NULL */
	bool		parsed = false;
	int64		token_id = 0;
	char	   *secret_hex = nullptr;
	char	   *normalized = nullptr;
	uint8		secret_digest[PG_SHA256_DIGEST_LENGTH];
	uint8		statement_digest[PG_SHA256_DIGEST_LENGTH];
	bool		matched;
	LexOptions	lex;

	if (presented == nullptr || presented[0] == '\0' || raw_statement == nullptr)
		return 0;
	/* Consuming a use writes: where that is impossible no token can be honoured. */
	if (XactReadOnly || RecoveryInProgress() || IsInParallelMode())
		return 0;
	if (!OidIsValid(extension_owner()))
		return 0;				/* no token store in this database: fail closed */

	lex = session_lex_options();
	ag_cpp_call("checking an approval token", [&]() {
		ParsedToken p;

		if (parse_token(presented, &p))
		{
			parsed = true;
			token_id = p.token_id;
			secret_hex = ag_pstrdup_nothrow(p.secret_hex);
			normalized = ag_pstrdup_nothrow(normalize_statement(raw_statement, lex));
		}
	});
	if (!parsed)
		return 0;				/* malformed: the block error is the answer */
	ag_check_alloc(secret_hex);
	ag_check_alloc(normalized);

	sha256_of(secret_hex, strlen(secret_hex), secret_digest);
	sha256_of(normalized, strlen(normalized), statement_digest);

	matched = check_as_owner(token_id, secret_digest, statement_digest, object_oids);

	return matched ? token_id : 0;
}

}  // namespace agentguard
