/* Comments on any record, with mentions: `@[12]` names user 12 and
 * `@[Li Lei]` the active user of that name. Each newly mentioned user gets
 * one SPM_EVENT_MENTION. Only the author edits or deletes a comment. */
#include "domain/collab.h"
#include "domain/org.h"
#include "domain/record_fields.h"
#include "core/kinds.h"
#include "core/write.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MENTIONS 50

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The user a mention names: digits are an id, anything else a name. */
static int resolve(int64_t *out, spm_db *db, const char *text, size_t len)
{
	spm_scan all = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, 0, NULL, 0 };
	struct spm__page users = { NULL, 0, 0 };
	int digits = len > 0 && len < 19, rc;

	for (size_t i = 0; i < len; i++)
		digits &= text[i] >= '0' && text[i] <= '9';
	*out = 0;
	rc = spm__scan_page(db, &users, spm__kind_find(db, "user", 0), &all);
	for (size_t i = 0; rc == SPM_OK && i < users.n; i++) {
		const spm_record *u = users.recs[i];
		const char *name = spm__fld_text(u, "name");
		int match = digits ? u->id == strtoll(text, NULL, 10)
				   : spm__fld_num(u, "active") && name && strlen(name) == len &&
					     memcmp(name, text, len) == 0;
		if (match && *out && !digits) {
			rc = spm__error_set(SPM_EINVAL, "comment: the mention @[%.*s] names more than "
					    "one user; use @[id]", (int)len, text);
			break;
		}
		if (match)
			*out = u->id;
	}
	spm__page_clear(db, &users);
	if (rc == SPM_OK && *out == 0)
		rc = spm__error_set(SPM_EINVAL, "comment: the mention @[%.*s] names no user",
				    (int)(len > 100 ? 100 : len), text);
	return rc;
}

/* Parses the mentions of text into sorted unique ids. */
static int mentions(int64_t *ids, size_t *n, spm_db *db, const char *text)
{
	const char *p = text;
	int rc = SPM_OK;

	*n = 0;
	while (rc == SPM_OK && (p = strstr(p, "@[")) != NULL) {
		const char *end = strchr(p + 2, ']');
		int64_t id;
		int dup = 0;

		if (end == NULL)
			break;
		rc = resolve(&id, db, p + 2, (size_t)(end - p - 2));
		for (size_t i = 0; rc == SPM_OK && i < *n; i++)
			dup |= ids[i] == id;
		if (rc == SPM_OK && !dup && *n == MAX_MENTIONS)
			rc = spm__error_set(SPM_EINVAL, "comment: more than %d users mentioned",
					    MAX_MENTIONS);
		if (rc == SPM_OK && !dup)
			ids[(*n)++] = id;
		p = end + 1;
	}
	if (rc == SPM_OK && *n)
		qsort(ids, *n, sizeof(*ids), cmp_id);
	return rc;
}

static int author_only(struct spm__txn *t, const spm_record *before)
{
	struct spm__scope *s;
	int rc;

	if (t->db->actor == 0 || spm__fld_num(before, "author_id") == t->db->actor)
		return SPM_OK;
	rc = spm__txn_scope(&s, t);
	if (rc == SPM_OK && !s->all_actions)
		rc = spm__error_set(SPM_EPERM, "only the author may change comment %" PRId64,
				    before->id);
	return rc;
}

int spm__comment_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	int64_t ids[MAX_MENTIONS];
	size_t n;
	char list[MAX_MENTIONS * 21 + 1];
	size_t len = 0;
	int rc = before ? author_only(t, before) : SPM_OK;

	if (rc != SPM_OK || after == NULL)
		return rc;
	if (spm__fld_text(after, "content")[0] == '\0')
		return spm__error_set(SPM_EINVAL, "comment.content must not be empty");
	if (before && (spm__collab_changed(before, after, "record_kind") ||
		       spm__collab_changed(before, after, "record_id")))
		return spm__error_set(SPM_EINVAL, "a comment cannot move to another record");
	if (before == NULL)
		rc = spm__collab_check_link(t->db, "comment", spm__fld_text(after, "record_kind"),
					    spm__fld_num(after, "record_id"));
	if (rc == SPM_OK && before == NULL && t->db->actor)
		rc = spm__fld_put_num(after, "author_id", t->db->actor);
	if (rc == SPM_OK)
		rc = mentions(ids, &n, t->db, spm__fld_text(after, "content"));
	list[0] = '\0';
	for (size_t i = 0; rc == SPM_OK && i < n; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%" PRId64, i ? "," : "",
					ids[i]);
	if (rc == SPM_OK && n)
		rc = spm__fld_put_text(after, "mentions", list);
	else if (rc == SPM_OK && spm__fld_has(after, "mentions"))
		spm__record_put_null(after, (size_t)spm__fld_idx(after, "mentions"));
	return rc;
}

static int listed(const char *list, int64_t id)
{
	const char *p = list;

	while (p && *p) {
		char *end;
		if (strtoll(p, &end, 10) == id)
			return 1;
		p = *end == ',' ? end + 1 : end;
		if (end == p && *p != '\0')
			break;
	}
	return 0;
}

int spm__comment_after_write(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	const char *now = spm__fld_text(after, "mentions");
	const char *was = before ? spm__fld_text(before, "mentions") : NULL;
	const char *p = now;
	int rc = SPM_OK;

	while (rc == SPM_OK && p && *p) {
		char *end;
		int64_t user = strtoll(p, &end, 10);
		p = *end == ',' ? end + 1 : end;
		if (!listed(was, user)) {
			json_t *o = json_pack("{s:I,s:I,s:s,s:I}", "user", (json_int_t)user,
					      "author_id", (json_int_t)spm__fld_num(after, "author_id"),
					      "record_kind", spm__fld_text(after, "record_kind"),
					      "record_id", (json_int_t)spm__fld_num(after, "record_id"));
			char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
			rc = text ? spm__txn_event(t, SPM_EVENT_MENTION, "comment", after->id, text)
				  : spm__error_oom();
			free(text);
			json_decref(o);
		}
	}
	return rc;
}

int spm_comment_add(int64_t *out, spm_db *db, const char *kind, int64_t id, const char *text)
{
	spm_record *rec = NULL;
	int rc;

	SPM__CHECK_ARG(db);
	SPM__CHECK_ARG(kind);
	SPM__CHECK_ARG(text);
	if (out)
		*out = 0;
	rc = spm_record_new(&rec, db, "comment");
	if (rc == SPM_OK)
		rc = spm_record_set_text(rec, "record_kind", kind);
	if (rc == SPM_OK)
		rc = spm_record_set_int(rec, "record_id", id);
	if (rc == SPM_OK)
		rc = spm_record_set_text(rec, "content", text);
	if (rc == SPM_OK)
		rc = spm_record_save(db, rec);
	if (rc == SPM_OK && out)
		*out = spm_record_id(rec);
	spm_record_free(rec);
	return rc;
}
