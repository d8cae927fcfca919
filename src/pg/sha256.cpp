/*
 * sha256.cpp — SHA-256 digests with the server's implementation. See sha256.hpp.
 */
#include "pg/pg_headers.hpp"

#include "pg/sha256.hpp"

namespace agentguard {

void
sha256_of(const void *data, size_t len, uint8 out[PG_SHA256_DIGEST_LENGTH])
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (ctx == nullptr)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, static_cast<const uint8 *>(data), len) < 0 ||
		pg_cryptohash_final(ctx, out, PG_SHA256_DIGEST_LENGTH) < 0)
	{
		const char *why = pstrdup(pg_cryptohash_error(ctx));

		pg_cryptohash_free(ctx);
		elog(ERROR, "could not compute a SHA-256 digest: %s", why);
	}
	pg_cryptohash_free(ctx);
}

bytea *
digest_bytea(const uint8 digest[PG_SHA256_DIGEST_LENGTH])
{
	bytea	   *b = static_cast<bytea *>(palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH));

	SET_VARSIZE(b, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	memcpy(VARDATA(b), digest, PG_SHA256_DIGEST_LENGTH);
	return b;
}

}  // namespace agentguard
