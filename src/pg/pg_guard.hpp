/*
 * pg_guard.hpp — the boundary between C++ and PostgreSQL error handling.
 *
 * A PostgreSQL ERROR is a longjmp: it must never cross a C++ frame that owns an object with a
 * destructor. A C++ exception must never cross a PostgreSQL frame: uncaught, it terminates the backend
 * and the postmaster restarts every session of the cluster.
 *
 * The rule in this code base: glue files (src/pg) are written C-style (no RAII objects alive while they
 * call into PostgreSQL); they reach the pure C++ core (src/core) only through ag_cpp_call(), which runs
 * the C++ code inside try/catch and turns any exception into an ereport(ERROR) after the C++ frames are
 * gone. Results cross the boundary as palloc'd C strings made by ag_pstrdup_nothrow(), which cannot
 * longjmp.
 */
#pragma once

#include "pg/pg_headers.hpp"

#include <cstring>
#include <exception>
#include <new>
#include <string>

namespace agentguard {

/* Copies s into CurrentMemoryContext without ever raising a PostgreSQL error; NULL when out of memory. */
inline char *
ag_pstrdup_nothrow(const std::string &s) noexcept
{
	char *p = static_cast<char *>(MemoryContextAllocExtended(CurrentMemoryContext, s.size() + 1,
															 MCXT_ALLOC_NO_OOM | MCXT_ALLOC_HUGE));
	if (p != nullptr)
	{
		std::memcpy(p, s.data(), s.size());
		p[s.size()] = '\0';
	}
	return p;
}

/*
 * Runs fn() (C++ that must not call anything that can ereport) and reports a C++ failure as a
 * PostgreSQL ERROR once the try block, and every C++ object in it, is gone.
 */
template <typename Fn>
inline void
ag_cpp_call(const char *what, Fn &&fn)
{
	char		msg[256];
	bool		failed = false;

	msg[0] = '\0';
	try
	{
		fn();
	}
	catch (const std::bad_alloc &)
	{
		failed = true;
		std::strncpy(msg, "out of memory", sizeof(msg) - 1);
	}
	catch (const std::exception &e)
	{
		failed = true;
		std::strncpy(msg, e.what(), sizeof(msg) - 1);
	}
	catch (...)
	{
		failed = true;
		std::strncpy(msg, "unknown C++ exception", sizeof(msg) - 1);
	}
	msg[sizeof(msg) - 1] = '\0';
	if (failed)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("pg_agentguard: %s failed: %s", what, msg)));
}

/* A palloc'd string the C++ side could not allocate is reported the PostgreSQL way. */
inline char *
ag_check_alloc(char *p)
{
	if (p == nullptr)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	return p;
}

}  // namespace agentguard
