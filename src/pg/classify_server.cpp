/*
 * classify_server.cpp — utility statements that reach beyond the database: server files,
 * programs, libraries, extensions, functions in C, foreign servers, notifications (SPEC §3). Handlers of
 * rows of the table in utility_classify.cpp.
 */
#include "pg/pg_headers.hpp"

#include "pg/guc.hpp"
#include "pg/identity.hpp"
#include "pg/names.hpp"
#include "pg/utility_classify.hpp"

namespace agentguard {

void
load_object(Node *n, Verdict *v)
{
	add_name(v, castNode(LoadStmt, n)->filename);
}

void
classify_copy(Node *n, Verdict *v)
{
	CopyStmt   *s = castNode(CopyStmt, n);

	if (s->is_program)
		mark_self(v, "agents may not run programs through COPY");
	/* A superuser agent could otherwise write postgresql.auto.conf and reload. */
	else if (s->filename != nullptr)
		mark_self(v, "agents may not read or write server files through COPY");
}

void
check_extension_name(const char *extname, Verdict *v)
{
	if (strcmp(extname, AG_EXTENSION) == 0)
		mark_self(v, kReasonExtension);
}

/*
 * The extension's control file says "trusted = true". An untrusted one runs its script as a superuser
 * and most bring functions that reach files, programs or other connections (adminpack, file_fdw, dblink).
 * A name that is not a plain file name, or a missing file, counts as untrusted.
 */
static bool
extension_is_trusted(const char *extname)
{
	char		sharepath[MAXPGPATH];
	char	   *path;
	FILE	   *f;
	char		line[1024];
	bool		trusted = false;

	if (strchr(extname, '/') != nullptr || strchr(extname, '.') != nullptr)
		return false;
	get_share_path(my_exec_path, sharepath);
	path = psprintf("%s/extension/%s.control", sharepath, extname);
	f = AllocateFile(path, "r");
	if (f == nullptr)
		return false;
	while (fgets(line, sizeof(line), f) != nullptr)
	{
		char	   *p = line;

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "trusted", 7) != 0)
			continue;
		p += 7;
		while (*p == ' ' || *p == '\t' || *p == '=' || *p == '\'')
			p++;
		trusted = pg_strncasecmp(p, "true", 4) == 0 || pg_strncasecmp(p, "on", 2) == 0 ||
			pg_strncasecmp(p, "yes", 3) == 0 || *p == '1';
	}
	FreeFile(f);
	return trusted;
}

void
create_extension(Node *n, Verdict *v)
{
	const char *extname = castNode(CreateExtensionStmt, n)->extname;

	check_extension_name(extname, v);
	if (v->cls == StatementClass::SelfProtection || extension_is_trusted(extname))
		return;
	add_name(v, quote_identifier(extname));
	mark_destructive(v, "agents may not create untrusted extensions without an approval");
	v->all_temp = false;
}

/* LANGUAGE c or internal: any symbol of any library, or any built-in under a new name and signature. */
void
create_function(Node *n, Verdict *v)
{
	CreateFunctionStmt *s = castNode(CreateFunctionStmt, n);
	ListCell   *lc;

	foreach(lc, s->options)
	{
		DefElem    *d = castNode(DefElem, lfirst(lc));
		const char *lang;

		if (strcmp(d->defname, "language") != 0 || d->arg == nullptr || !IsA(d->arg, String))
			continue;
		lang = strVal(d->arg);
		if (pg_strcasecmp(lang, "c") != 0 && pg_strcasecmp(lang, "internal") != 0)
			continue;
		v->objects = lappend(v->objects, names_to_string(s->funcname));
		mark_destructive(v, "agents may not create functions in LANGUAGE c or internal without an approval");
		v->all_temp = false;
		if (names_guard_schema(s->funcname))
			mark_self(v, kReasonSchema);
	}
}

void
notify_channel(Node *n, Verdict *v)
{
	/* The audit worker announces requests there; approval tools must not get forged announcements. */
	if (strcmp(castNode(NotifyStmt, n)->conditionname, AG_SCHEMA) == 0)
	{
		add_name(v, AG_SCHEMA);
		mark_self(v, "agents may not send notifications on channel agentguard");
	}
}

void
alter_extension(Node *n, Verdict *v)
{
	check_extension_name(castNode(AlterExtensionStmt, n)->extname, v);
}

void
alter_extension_contents(Node *n, Verdict *v)
{
	check_extension_name(castNode(AlterExtensionContentsStmt, n)->extname, v);
}

}  // namespace agentguard
