# pg_agentguard — PGXS build of the server extension.
# `make`, `make install`; the test suite runs with scripts/test.sh (see README.md).

EXTENSION  = pg_agentguard
MODULE_big = pg_agentguard
DATA       = extension/pg_agentguard--1.0.sql extension/pg_agentguard--1.0--1.1.sql
PGFILEDESC = "pg_agentguard - keeps AI agents from destroying data"

SRCS := $(sort $(wildcard src/core/*.cpp) $(wildcard src/pg/*.cpp))
OBJS  = $(SRCS:.cpp=.o)

PG_CONFIG ?= pg_config
PG_INCLUDE_SERVER := $(shell $(PG_CONFIG) --includedir-server)

# The server headers are C; treating them as system headers keeps -Wextra aimed at our own code.
PG_CPPFLAGS = -Isrc -isystem $(PG_INCLUDE_SERVER)
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Wno-missing-field-initializers -fno-omit-frame-pointer
SHLIB_LINK  = -lstdc++

# No LLVM bitcode for JIT inlining: our code is hooks, not expression functions.
override with_llvm := no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# C++ sources depend on the headers next to them.
$(OBJS): $(wildcard src/core/*.hpp) $(wildcard src/pg/*.hpp) $(wildcard src/pg/*.h)
