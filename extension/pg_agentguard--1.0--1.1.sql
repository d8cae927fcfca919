-- pg_agentguard 1.0 -> 1.1: ALTER EXTENSION pg_agentguard UPDATE; a fresh CREATE EXTENSION runs
-- pg_agentguard--1.0.sql and then this script. Each change of this version is one section below,
-- headed by what it is for; every statement follows the rules of pg_agentguard--1.0.sql (objects
-- schema-qualified, nothing that a hostile search_path could redirect).
\echo Use "ALTER EXTENSION pg_agentguard UPDATE TO '1.1'" to load this file. \quit
