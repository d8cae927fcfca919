/*
 * sha256.hpp — SHA-256 digests with the server's implementation (the same digest SQL's sha256()
 * computes), for token secrets and statement fingerprints.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

/* Raises an ERROR when the digest cannot be computed (out of memory, a FIPS-restricted library). */
void		sha256_of(const void *data, size_t len, uint8 out[PG_SHA256_DIGEST_LENGTH]);

/* A palloc'd bytea holding the 32 bytes of a digest. */
bytea	   *digest_bytea(const uint8 digest[PG_SHA256_DIGEST_LENGTH]);

}  // namespace agentguard
