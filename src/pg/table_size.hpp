/*
 * table_size.hpp — how many rows a table holds, for the fraction limits of the row guard
 * (agentguard.max_fraction) and of the circuit breaker (agentguard.budget_fraction).
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

/* Sizes one relation with storage (0 when it no longer exists). */
typedef double (*LeafSizer) (Oid relid);

/* The planner's estimate from the relation's current size, so a table never analysed does not look
 * empty; a foreign table's reltuples when known. */
double		estimated_leaf_rows(Oid relid);

/* A partitioned or inheritance root is the sum of its members, each sized by `leaf`; any other table
 * is `leaf` of itself. */
double		table_rows_with(Oid relid, LeafSizer leaf);

/* "DELETE", "UPDATE", "MERGE", "INSERT" or "DML". */
const char *dml_operation_name(CmdType op);

}  // namespace agentguard
