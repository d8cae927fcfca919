/*
 * table_size.cpp — table sizes for the fraction limits (see table_size.hpp). Plain PostgreSQL calls;
 * an ERROR here (a relation dropped concurrently is skipped, not an error) propagates to the hook that
 * asked, which holds no C++ object.
 */
#include "pg/table_size.hpp"

namespace agentguard {

double
estimated_leaf_rows(Oid relid)
{
	Relation	rel;
	double		rows = 0;

	rel = try_relation_open(relid, AccessShareLock);
	if (rel == nullptr)
		return 0;
	if (RELKIND_HAS_STORAGE(rel->rd_rel->relkind))
	{
		BlockNumber pages;
		double		tuples;
		double		allvisfrac;

		estimate_rel_size(rel, nullptr, &pages, &tuples, &allvisfrac);
		rows = tuples;
	}
	else if (rel->rd_rel->relkind == RELKIND_FOREIGN_TABLE && rel->rd_rel->reltuples > 0)
		rows = rel->rd_rel->reltuples;
	relation_close(rel, NoLock);
	return rows;
}

double
table_rows_with(Oid relid, LeafSizer leaf)
{
	List	   *members;
	ListCell   *lc;
	double		rows = 0;

	if (!has_subclass(relid))
		return leaf(relid);
	members = find_all_inheritors(relid, AccessShareLock, nullptr);
	foreach(lc, members)
		rows += leaf(lfirst_oid(lc));
	list_free(members);
	return rows;
}

const char *
dml_operation_name(CmdType op)
{
	switch (op)
	{
		case CMD_DELETE:
			return "DELETE";
		case CMD_UPDATE:
			return "UPDATE";
		case CMD_MERGE:
			return "MERGE";
		case CMD_INSERT:
			return "INSERT";
		default:
			return "DML";
	}
}

}  // namespace agentguard
