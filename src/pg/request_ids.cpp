/*
 * request_ids.cpp — request ids (SPEC §4: unique in the cluster, never reused, not even after a crash
 * restart), and the id of a blocked statement's request (audit.hpp).
 *
 * One allocator in shared memory serves every database. It hands out ids below a reservation that is
 * durable before any id under it is used: when the reservation is used up, the next block is reserved
 * by writing "reserved up to N" to the file pg_agentguard.request_ids in the data directory (written to
 * a temporary file, fsync'ed, renamed, directory fsync'ed) — only then are ids below N handed out. At
 * server start (and after a crash restart, when the postmaster reinitializes shared memory) the
 * allocator continues at N: ids handed out before the crash lie below it, whether or not their rows were
 * ever written. A block costs one fsync per AG_ID_BLOCK ids.
 *
 * Ids also stay unique against rows that came from elsewhere (pg_restore, pg_upgrade, a promoted
 * standby, ids of version 1.0 from the per-database sequence): the first time a backend reserves an id
 * in its database, and whenever a writer starts, the largest id stored there (or drawn from the old
 * sequence) raises the floor.
 *
 * A small direct-mapped table remembers the database of recent ids, so that approve() of an id that
 * belongs to another database can say which one.
 */
#include "pg/pg_headers.hpp"

#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

#include "pg/audit.hpp"
#include "pg/audit_write.hpp"
#include "pg/hooks.hpp"
#include "pg/identity.hpp"
#include "pg/owner_sql.hpp"
#include "pg/request_ids.hpp"

namespace agentguard {

#define AG_ID_FILE "pg_agentguard.request_ids"
#define AG_ID_FILE_TMP "pg_agentguard.request_ids.tmp"
#define AG_ID_BLOCK 1000
#define AG_ID_MAP 8192
#define AG_ID_TRANCHE "pg_agentguard_request_ids"

struct IdMapEntry
{
	int64		id;
	Oid			dboid;
};

struct IdShared
{
	slock_t		mutex;			/* next, reserved, map */
	LWLock	   *file_lock;		/* serializes reservations (file writes) */
	int64		next;			/* next id to hand out */
	int64		reserved;		/* ids below this are durable reservations */
	IdMapEntry	map[AG_ID_MAP];
};

static IdShared *ids = nullptr;

#if AG_HAVE_SHMEM_REQUEST_HOOK
static shmem_request_hook_type prev_shmem_request_hook = nullptr;
#endif
static shmem_startup_hook_type prev_shmem_startup_hook = nullptr;

static void
ids_request(void)
{
	RequestAddinShmemSpace(MAXALIGN(sizeof(IdShared)));
	RequestNamedLWLockTranche(AG_ID_TRANCHE, 1);
}

#if AG_HAVE_SHMEM_REQUEST_HOOK
static void
ids_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	ids_request();
}
#endif

/* The reservation recorded in the data directory, 0 when there is none. Runs in the postmaster. */
static int64
read_reservation(void)
{
	FILE	   *f = fopen(AG_ID_FILE, "r");
	long long	v = 0;

	if (f == nullptr)
		return 0;
	if (fscanf(f, "%lld", &v) != 1 || v < 0)
	{
		ereport(LOG,
				(errmsg("pg_agentguard: could not read \"%s\"; request ids continue above the stored requests", AG_ID_FILE)));
		v = 0;
	}
	fclose(f);
	return (int64) v;
}

static void
ids_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	ids = nullptr;
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	IdShared   *s = static_cast<IdShared *>(ShmemInitStruct("pg_agentguard request ids", sizeof(IdShared), &found));

	if (!found)
	{
		int64		n = read_reservation();

		memset(s, 0, sizeof(IdShared));
		SpinLockInit(&s->mutex);
		s->file_lock = &(GetNamedLWLockTranche(AG_ID_TRANCHE))->lock;
		/* Everything below the recorded reservation may have been handed out before a crash. */
		s->next = n > 0 ? n : 1;
		s->reserved = s->next;
	}
	LWLockRelease(AddinShmemInitLock);
	ids = s;
}

void
request_ids_init(void)
{
#if AG_HAVE_SHMEM_REQUEST_HOOK
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = ids_shmem_request;
#else
	ids_request();
#endif
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = ids_shmem_startup;
}

/* Makes "ids below upto may be used" durable. False (logged) when it could not. */
static bool
write_reservation(int64 upto)
{
	char		buf[32];
	int			len = snprintf(buf, sizeof(buf), INT64_FORMAT "\n", upto);
	int			fd = OpenTransientFile(AG_ID_FILE_TMP, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY);
	bool		ok;

	if (fd < 0)
	{
		ereport(LOG, (errcode_for_file_access(),
					  errmsg("pg_agentguard: could not create \"%s\": %m", AG_ID_FILE_TMP)));
		return false;
	}
	ok = write(fd, buf, len) == len && pg_fsync(fd) == 0;
	if (!ok)
		ereport(LOG, (errcode_for_file_access(),
					  errmsg("pg_agentguard: could not write \"%s\": %m", AG_ID_FILE_TMP)));
	if (CloseTransientFile(fd) != 0)
		ok = false;
	return ok && durable_rename(AG_ID_FILE_TMP, AG_ID_FILE, LOG) == 0;
}

int64
request_ids_next(void)
{
	if (ids == nullptr)
		return 0;
	for (;;)
	{
		int64		id = 0;
		int64		upto;

		SpinLockAcquire(&ids->mutex);
		if (ids->next < ids->reserved)
			id = ids->next++;
		SpinLockRelease(&ids->mutex);
		if (id > 0)
			return id;

		LWLockAcquire(ids->file_lock, LW_EXCLUSIVE);
		SpinLockAcquire(&ids->mutex);
		upto = ids->next < ids->reserved ? 0 : ids->next + AG_ID_BLOCK;
		SpinLockRelease(&ids->mutex);
		if (upto > 0)
		{
			if (!write_reservation(upto))
			{
				LWLockRelease(ids->file_lock);
				return 0;
			}
			SpinLockAcquire(&ids->mutex);
			ids->reserved = upto;
			SpinLockRelease(&ids->mutex);
		}
		LWLockRelease(ids->file_lock);
	}
}

/* Far beyond any id a cluster hands out: a floor above it comes from a tampered table or sequence. */
#define AG_ID_FLOOR_SANE (INT64CONST(1) << 52)

void
request_ids_raise_floor(int64 floor)
{
	if (ids == nullptr || floor <= 0)
		return;
	if (floor >= AG_ID_FLOOR_SANE)
	{
		ereport(LOG,
				(errmsg("pg_agentguard: ignoring an implausible request id " INT64_FORMAT " stored in this database", floor)));
		return;
	}
	SpinLockAcquire(&ids->mutex);
	if (ids->next <= floor)
		ids->next = floor + 1;
	/* A reservation below next is simply used up: the next call reserves a block above it. */
	if (ids->reserved < ids->next)
		ids->reserved = ids->next;
	SpinLockRelease(&ids->mutex);
}

int64
request_ids_issued_max(void)
{
	int64		v;

	if (ids == nullptr)
		return 0;
	SpinLockAcquire(&ids->mutex);
	v = ids->next - 1;
	SpinLockRelease(&ids->mutex);
	return v;
}

void
request_ids_remember(int64 id, Oid dboid)
{
	if (ids == nullptr || id <= 0)
		return;
	SpinLockAcquire(&ids->mutex);
	ids->map[id % AG_ID_MAP].id = id;
	ids->map[id % AG_ID_MAP].dboid = dboid;
	SpinLockRelease(&ids->mutex);
}

Oid
request_ids_database(int64 id)
{
	Oid			dboid = InvalidOid;

	if (ids == nullptr || id <= 0)
		return InvalidOid;
	SpinLockAcquire(&ids->mutex);
	if (ids->map[id % AG_ID_MAP].id == id)
		dboid = ids->map[id % AG_ID_MAP].dboid;
	SpinLockRelease(&ids->mutex);
	return dboid;
}

/* ---------------------------------------------------------------------------------------------------
 * The id of a blocked statement's request */

static bool floor_checked = false;	/* this backend raised the floor from its database's rows */

/* Raises the floor to the largest id stored in this database; once per backend. */
static void
raise_floor_from_database(void)
{
	OwnerSql	os;
	int64		stored = 0;

	owner_sql_begin(&os);
	PG_TRY();
	{
		stored = audit_stored_max_request_id();
	}
	PG_CATCH();
	{
		owner_sql_abort(&os);
		PG_RE_THROW();
	}
	PG_END_TRY();
	owner_sql_end(&os);
	request_ids_raise_floor(stored);
	floor_checked = true;
}

/* The last value of the old per-database sequence, 0 when it was never drawn from. As the owner. */
static int64
sequence_last_value(Oid seq)
{
	LOCAL_FCINFO(fcinfo, 1);
	Datum		v;

	InitFunctionCallInfoData(*fcinfo, nullptr, 1, InvalidOid, nullptr, nullptr);
	fcinfo->args[0].value = ObjectIdGetDatum(seq);
	fcinfo->args[0].isnull = false;
	v = pg_sequence_last_value(fcinfo);
	return fcinfo->isnull ? 0 : DatumGetInt64(v);
}

/*
 * Keeps the old per-database sequence and the allocator in step, as the extension owner: the allocator
 * never hands out an id at or below the sequence (a restored database carries it; SQL may draw from
 * it), and the sequence is moved up to the id just handed out, so a later nextval() never returns it.
 * Moving it writes WAL, which a read-only or parallel transaction cannot; then the writer moves it.
 */
static int64
next_id_in_step_with_sequence(void)
{
	Oid			nsp = guard_schema_oid();
	Oid			seq = OidIsValid(nsp) ? get_relname_relid("request_id_seq", nsp) : InvalidOid;
	Oid			owner = extension_owner();
	Oid			saved_user;
	int			saved_ctx;
	volatile int64 id = 0;

	if (!OidIsValid(seq) || get_rel_relkind(seq) != RELKIND_SEQUENCE || !OidIsValid(owner))
		return request_ids_next();
	GetUserIdAndSecContext(&saved_user, &saved_ctx);
	SetUserIdAndSecContext(owner, saved_ctx | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	internal_depth++;
	PG_TRY();
	{
		request_ids_raise_floor(sequence_last_value(seq));
		id = request_ids_next();
		if (id > 0 && !XactReadOnly && !IsInParallelMode() && sequence_last_value(seq) < id)
			(void) DirectFunctionCall2(setval_oid, ObjectIdGetDatum(seq), Int64GetDatum(id));
	}
	PG_FINALLY();
	{
		internal_depth--;
		SetUserIdAndSecContext(saved_user, saved_ctx);
	}
	PG_END_TRY();
	return id;
}

int64
audit_reserve_request_id(bool *extension_present, bool *read_only)
{
	int64		id;

	*extension_present = OidIsValid(get_extension_oid(AG_EXTENSION, true));
	/* A request row can only be written on a primary; a read-only transaction can still be blocked
	 * and approved (the row is written by another transaction). */
	*read_only = RecoveryInProgress();
	if (!*extension_present || *read_only || ids == nullptr)
		return 0;
	if (!floor_checked && !IsInParallelMode())
		raise_floor_from_database();
	id = next_id_in_step_with_sequence();
	if (id > 0)
		request_ids_remember(id, MyDatabaseId);
	return id;
}

}  // namespace agentguard
