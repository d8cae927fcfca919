# pg_agentguard — PGXS build of the server extension.
# `make`, `make install`, and `make installcheck` against a running server that preloads the library
# (shared_preload_libraries = 'pg_agentguard'), as a superuser; see README.md.
# scripts/test.sh runs these targets and the suites they cannot run on throwaway clusters (README.md).

EXTENSION  = pg_agentguard
MODULE_big = pg_agentguard
DATA       = extension/pg_agentguard--1.0.sql extension/pg_agentguard--1.0--1.1.sql
PGFILEDESC = "pg_agentguard - keeps AI agents from destroying data"

SRCS := $(sort $(wildcard src/core/*.cpp) $(wildcard src/pg/*.cpp))
OBJS  = $(SRCS:.cpp=.o)

# pg_regress tests (sql/, expected/), in name order in one database, and isolation specs
# (test/isolation/specs, test/isolation/expected).
REGRESS        = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
ISOLATION      = $(sort $(basename $(notdir $(wildcard test/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test/isolation

PG_CONFIG ?= pg_config
PG_INCLUDE_SERVER := $(shell $(PG_CONFIG) --includedir-server)

# The server headers are C; treating them as system headers keeps -Wextra aimed at our own code.
PG_CPPFLAGS = -Isrc -isystem $(PG_INCLUDE_SERVER)
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Wno-missing-field-initializers -fno-omit-frame-pointer \
              $(AG_CXXFLAGS)
# Extra compiler flags; the test command sets AG_CXXFLAGS=-Werror. Left empty here, so that a newer
# compiler's new warnings do not break a DBA's build.
AG_CXXFLAGS ?=
SHLIB_LINK  = -lstdc++

# No LLVM bitcode for JIT inlining: our code is hooks, not expression functions.
override with_llvm := no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# C++ sources depend on the headers next to them.
$(OBJS): $(wildcard src/core/*.hpp) $(wildcard src/pg/*.hpp) $(wildcard src/pg/*.h)
