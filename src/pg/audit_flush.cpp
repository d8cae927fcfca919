/*
 * audit_flush.cpp — approve() and deny() never wait for a writer: before they look for a request, the
 * approver's backend takes its own database's queued records and writes them itself, in its own
 * transaction (audit_write.hpp), so a request whose agent has already received its error is always found.
 *
 * The entries stay TAKEN by this backend until its transaction ends: at commit they are DONE (the rows
 * committed with the approver's decision), at abort — or the abort of the subtransaction they were
 * written in — they are READY again and a writer writes them later. A crash loses shared memory and the
 * rows alike; the server log holds a line for each event.
 */
#include "pg/pg_headers.hpp"

#include "pg/audit_queue.hpp"
#include "pg/audit_write.hpp"

namespace agentguard {

#define AG_FLUSH_BATCH 256

struct FlushedEntry
{
	QueueTaken	taken;
	SubTransactionId subid;
};

static FlushedEntry *flushed = nullptr;	/* TopMemoryContext */
static int	nflushed = 0;
static int	maxflushed = 0;
static WriteCounts flushed_counts;
static char *flush_buf = nullptr;	/* TopMemoryContext, AG_QUEUE_MAX_ENTRY */
static bool callbacks_registered = false;

static QueueTaken *
taken_array(int from, int n)
{
	QueueTaken *t = static_cast<QueueTaken *>(palloc(sizeof(QueueTaken) * (n > 0 ? n : 1)));

	for (int i = 0; i < n; i++)
		t[i] = flushed[from + i].taken;
	return t;
}

static void
flush_xact_callback(XactEvent event, void *arg)
{
	(void) arg;
	if (nflushed == 0)
		return;
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			{
				QueueTaken *t = taken_array(0, nflushed);
				uint64		other = flushed_counts.discarded + flushed_counts.failed;
				uint64		written = (uint64) nflushed > other ? (uint64) nflushed - other : 0;

				audit_queue_finish(t, nflushed, written, flushed_counts.discarded, flushed_counts.failed);
				pfree(t);
				break;
			}
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			/* No allocation here: the memory of an aborting transaction may be short. */
			audit_queue_requeue_mine();
			break;
		default:
			return;
	}
	nflushed = 0;
	memset(&flushed_counts, 0, sizeof(flushed_counts));
}

static void
flush_subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid,
					   void *arg)
{
	int			keep = 0;

	(void) parentSubid;
	(void) arg;
	if (event != SUBXACT_EVENT_ABORT_SUB || nflushed == 0)
		return;
	/* Entries written in this subtransaction or in one nested in it (later ids) go back. */
	for (int i = 0; i < nflushed; i++)
	{
		if (flushed[i].subid >= mySubid)
			audit_queue_requeue(&flushed[i].taken, 1, false);
		else
			flushed[keep++] = flushed[i];
	}
	nflushed = keep;
}

void
audit_flush_own_database(void)
{
	QueueTaken	taken[AG_FLUSH_BATCH];

	if (!audit_queue_ready() || RecoveryInProgress() || XactReadOnly)
		return;
	if (!callbacks_registered)
	{
		RegisterXactCallback(flush_xact_callback, nullptr);
		RegisterSubXactCallback(flush_subxact_callback, nullptr);
		callbacks_registered = true;
	}
	if (flush_buf == nullptr)
		flush_buf = static_cast<char *>(MemoryContextAlloc(TopMemoryContext, AG_QUEUE_MAX_ENTRY));

	for (;;)
	{
		int			n;
		PlainRecord *recs;
		WriteCounts counts = {0, 0, 0};

		/* Make room first, so that an entry, once taken, is always remembered. */
		if (maxflushed - nflushed < AG_FLUSH_BATCH)
		{
			int			want = maxflushed + AG_FLUSH_BATCH * 4;

			flushed = static_cast<FlushedEntry *>(flushed == nullptr
												  ? MemoryContextAlloc(TopMemoryContext, sizeof(FlushedEntry) * want)
												  : repalloc(flushed, sizeof(FlushedEntry) * want));
			maxflushed = want;
		}
		n = audit_queue_take(MyDatabaseId, flush_buf, AG_QUEUE_MAX_ENTRY, taken, AG_FLUSH_BATCH);
		if (n == 0)
			break;
		for (int i = 0; i < n; i++)
		{
			flushed[nflushed].taken = taken[i];
			flushed[nflushed].taken.data = nullptr;
			flushed[nflushed].subid = GetCurrentSubTransactionId();
			nflushed++;
		}
		/* An ERROR here aborts the (sub)transaction, and the callbacks hand the entries back. */
		recs = audit_decode(taken, n);
		for (int i = 0; i < n; i++)
			if (!recs[i].ok)
				counts.failed++;
		audit_insert_records(recs, n, &counts);
		flushed_counts.written += counts.written;
		flushed_counts.discarded += counts.discarded;
		flushed_counts.failed += counts.failed;
		if (n < AG_FLUSH_BATCH)
			break;
	}
}

}  // namespace agentguard
