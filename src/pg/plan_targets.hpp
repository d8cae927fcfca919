/*
 * plan_targets.hpp — which nodes of a plan change existing rows, and whether an agent's DELETE or
 * UPDATE has any qualification at all. See plan_targets.cpp.
 */
#pragma once

#include "pg/pg_headers.hpp"

namespace agentguard {

/* A ModifyTable that changes existing rows: DELETE, UPDATE, MERGE, INSERT ... ON CONFLICT DO UPDATE. */
bool		is_destructive_modify(const ModifyTable *mt);

/* Any such ModifyTable in this plan (the top of the main plan or of a writable CTE's subplan)? */
bool		plan_is_destructive(const PlannedStmt *ps);

/* A destructive ModifyTable's target was reached through a rule or view whose owner is set in the range
 * table (checkAsUser): may() is the cheap test without catalog access; owner() the agent among those
 * owners (InvalidOid: none), with the target table's OID. */
bool		plan_may_be_agents(const PlannedStmt *ps);
Oid			plan_agent_owner(const PlannedStmt *ps, Oid *target);

/* Refuses (through the row guard's intercept) an unqualified DELETE/UPDATE of the plan, before
 * PostgreSQL opens anything; returns normally when there is none or it was approved or warned. */
void		judge_unqualified(PlannedStmt *ps);

}  // namespace agentguard
