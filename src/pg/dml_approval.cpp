/*
 * dml_approval.cpp — which tables the token of a DML statement covers (dml_approval.hpp, SPEC §5).
 *
 * The first table of a statement that needs a token presents it (token_match_covering, one use); the
 * token's objects are kept for the rest of the statement, and a later table is approved only when they
 * hold it. The array lives in TopMemoryContext for the backend's life and is reused.
 */
#include "pg/pg_headers.hpp"

#include "pg/dml_approval.hpp"
#include "pg/guc.hpp"
#include "pg/names.hpp"
#include "pg/tokens.hpp"

namespace agentguard {

struct Approval
{
	int64		token_id;		/* the token that matched in this statement, 0 before */
	Oid		   *covered;		/* its objects, sorted */
	int			ncovered;
	int			maxcovered;
};

static Approval approval;

void
dml_approval_reset(void)
{
	approval.token_id = 0;
	approval.ncovered = 0;
}

static int
oid_cmp(const void *a, const void *b)
{
	Oid			x = *static_cast<const Oid *>(a);
	Oid			y = *static_cast<const Oid *>(b);

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* The objects a DML request on relid records: the table and, when it is partitioned or inherited, its
 * members (a partition added later is not approved with it). */
List *
dml_reach(Oid relid)
{
	List	   *reach = list_make1_oid(relid);

	if (has_subclass(relid))
		reach = list_concat_unique_oid(reach, find_all_inheritors(relid, NoLock, nullptr));
	return reach;
}

/* Does the token that matched in this statement cover every object of reach? */
static bool
covers(List *reach)
{
	ListCell   *lc;

	if (approval.token_id == 0)
		return false;
	foreach(lc, reach)
	{
		Oid			o = lfirst_oid(lc);

		if (bsearch(&o, approval.covered, approval.ncovered, sizeof(Oid), oid_cmp) == nullptr)
			return false;
	}
	return true;
}

bool
dml_approval_covers(Oid relid)
{
	return approval.token_id > 0 && covers(dml_reach(relid));
}

static void
remember_token(int64 token_id, const Oid *covered, int ncovered, List *reach)
{
	int			n = covered != nullptr ? ncovered : list_length(reach);
	ListCell   *lc;
	int			i = 0;

	if (n > approval.maxcovered)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		approval.maxcovered = n < 16 ? 16 : n;
		approval.covered = approval.covered == nullptr ? static_cast<Oid *>(palloc(sizeof(Oid) * approval.maxcovered))
			: static_cast<Oid *>(repalloc(approval.covered, sizeof(Oid) * approval.maxcovered));
		MemoryContextSwitchTo(old);
	}
	if (covered != nullptr)
		memcpy(approval.covered, covered, sizeof(Oid) * n);
	else
	{
		/* a token bound to the text only covers what it was presented for */
		foreach(lc, reach)
			approval.covered[i++] = lfirst_oid(lc);
		qsort(approval.covered, n, sizeof(Oid), oid_cmp);
	}
	approval.ncovered = n;
	approval.token_id = token_id;
}

/*
 * A token lets through the over-limit rows of the tables its request named and nothing else. The first
 * table of a statement to need it consumes one use; later tables of the same statement are let through
 * when the same token covers them, and are judged on their own otherwise.
 */
int64
dml_approval_try(Oid relid, const char *statement)
{
	List	   *reach = dml_reach(relid);
	Oid		   *covered = nullptr;
	int			ncovered = 0;
	int64		token_id;

	if (approval.token_id > 0)
	{
		if (covers(reach))
			return approval.token_id;
		token_note_refusal(psprintf("its approval covers other tables, not %s", relation_display_name(relid)));
		return 0;
	}
	if (guc_token == nullptr || guc_token[0] == '\0')
		return 0;
	token_id = token_match_covering(statement, reach, &covered, &ncovered);
	if (token_id > 0)
		remember_token(token_id, covered, ncovered, reach);
	return token_id;
}

}  // namespace agentguard
