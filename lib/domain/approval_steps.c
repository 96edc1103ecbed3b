/* Approval flow steps: parsing and resolving to approvers (approval_steps.h). */
#include "domain/approval_steps.h"
#include "domain/collab.h"
#include "domain/record_fields.h"
#include "core/kinds.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum who { WHO_MANAGER, WHO_USERS, WHO_ROLE };

struct step {
	enum who who;
	int all;
	int64_t ids[SPM__APPROVAL_MAX_APPROVERS];
	size_t n;
	char role[101];  /* a role by name */
};

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static int digits(int64_t *out, const char **p)
{
	int64_t v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9') {
		if (v > (INT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (*s++ - '0');
	}
	*out = v;
	*p = s;
	return v > 0;
}

static int bad(int number, const char *why)
{
	return spm__error_set(SPM_EINVAL, "approval_flow.steps: step %d: %s", number, why);
}

/* Parses one step from [p, end). */
static int parse_step(struct step *st, const char *p, const char *end, int number)
{
	const char *slash;

	memset(st, 0, sizeof(*st));
	p = skip_space(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	slash = memchr(p, '/', (size_t)(end - p));
	if (slash) {
		size_t len = (size_t)(end - slash - 1);
		if (len == 3 && memcmp(slash + 1, "all", 3) == 0)
			st->all = 1;
		else if (!(len == 3 && memcmp(slash + 1, "any", 3) == 0))
			return bad(number, "the mode after '/' must be any or all");
		end = slash;
	}
	if (end - p == 7 && memcmp(p, "manager", 7) == 0) {
		st->who = WHO_MANAGER;
		return SPM_OK;
	}
	if (end - p > 5 && memcmp(p, "user:", 5) == 0) {
		st->who = WHO_USERS;
		p += 5;
		for (;;) {
			if (st->n == SPM__APPROVAL_MAX_APPROVERS)
				return bad(number, "too many users");
			if (!digits(&st->ids[st->n++], &p))
				return bad(number, "user: needs user ids separated by commas");
			if (p == end)
				return SPM_OK;
			if (*p++ != ',')
				return bad(number, "user: needs user ids separated by commas");
		}
	}
	if (end - p > 5 && memcmp(p, "role:", 5) == 0) {
		const char *q = p + 5;
		st->who = WHO_ROLE;
		if (digits(&st->ids[0], &q) && q == end) {
			st->n = 1;
			return SPM_OK;
		}
		if ((size_t)(end - p - 5) >= sizeof(st->role))
			return bad(number, "the role name is too long");
		memcpy(st->role, p + 5, (size_t)(end - p - 5));
		return SPM_OK;
	}
	return bad(number, "expected manager, user:IDS or role:ID|NAME");
}

/* Calls fn for each step; returns the first error. */
static int each_step(const char *steps, int (*fn)(const struct step *, int, void *), void *ctx)
{
	const char *p = steps;
	int number = 0, rc = SPM_OK;

	if (steps == NULL || *skip_space(steps) == '\0')
		return spm__error_set(SPM_EINVAL, "approval_flow.steps: at least one step is needed");
	while (rc == SPM_OK && *p) {
		const char *end = strchr(p, ';');
		struct step st;

		if (end == NULL)
			end = p + strlen(p);
		if (++number > SPM__APPROVAL_MAX_STEPS)
			return spm__error_set(SPM_EINVAL, "approval_flow.steps: more than %d steps",
					      SPM__APPROVAL_MAX_STEPS);
		rc = parse_step(&st, p, end, number);
		if (rc == SPM_OK && fn)
			rc = fn(&st, number, ctx);
		p = *end ? end + 1 : end;
	}
	return rc;
}

int spm__approval_steps_check(const char *steps)
{
	return each_step(steps, NULL, NULL);
}

struct resolve {
	struct spm__txn *t;
	int64_t owner;
	char *buf;
	size_t len, cap;
};

static int append(struct resolve *r, const char *text)
{
	size_t n = strlen(text);

	if (r->len + n + 1 > r->cap) {
		size_t cap = (r->len + n + 1) * 2;
		char *p = spm__realloc(r->t->db, r->buf, cap);
		if (p == NULL)
			return spm__error_oom();
		r->buf = p;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, text, n + 1);
	r->len += n;
	return SPM_OK;
}

static int check_active(spm_db *db, int64_t id, int number)
{
	spm_record *u = NULL;
	int rc = spm__collab_get(&u, db, "user", id);

	if (rc == SPM_ENOTFOUND || (rc == SPM_OK && !spm__fld_num(u, "active")))
		rc = spm__error_set(SPM_EINVAL, "approval step %d: user %" PRId64 " is not an "
				    "active user", number, id);
	spm_record_free(u);
	return rc;
}

/* The active users of a role (by id, or by name when name is set). */
static int role_users(struct step *st, spm_db *db, int number)
{
	spm_scan all = { SPM_SCAN_VERSION, NULL, 0, 0, 0, 0, 0, NULL, 0 };
	struct spm__page page = { NULL, 0, 0 };
	int64_t role = st->n ? st->ids[0] : 0;
	int rc = SPM_OK;

	if (st->role[0]) {
		rc = spm__scan_page(db, &page, spm__kind_find(db, "role", 0), &all);
		for (size_t i = 0; rc == SPM_OK && i < page.n; i++)
			if (spm__fld_is(spm__fld_text(page.recs[i], "name"), st->role))
				role = page.recs[i]->id;
		spm__page_clear(db, &page);
		if (rc == SPM_OK && role == 0)
			return spm__error_set(SPM_EINVAL, "approval step %d: no role named '%s'",
					      number, st->role);
	}
	st->n = 0;
	if (rc == SPM_OK)
		rc = spm__scan_page(db, &page, spm__kind_find(db, "user", 0), &all);
	for (size_t i = 0; rc == SPM_OK && i < page.n; i++)
		if (spm__fld_num(page.recs[i], "role_id") == role &&
		    spm__fld_num(page.recs[i], "active") && st->n < SPM__APPROVAL_MAX_APPROVERS)
			st->ids[st->n++] = page.recs[i]->id;
	spm__page_clear(db, &page);
	return rc;
}

static int resolve_step(const struct step *in, int number, void *ctx)
{
	struct resolve *r = ctx;
	struct step st = *in;
	char num[32];
	int rc = SPM_OK;

	if (st.who == WHO_MANAGER) {
		st.ids[0] = 0;
		if (r->owner)
			rc = spm__collab_manager_of(&st.ids[0], r->t->db, r->owner, r->t->at);
		if (rc != SPM_OK)
			return rc;
		st.n = st.ids[0] != 0;
		if (st.n == 0)
			return spm__error_set(SPM_EINVAL, "approval step %d (manager): the record's "
					      "owner %" PRId64 " has no manager", number, r->owner);
	} else if (st.who == WHO_ROLE) {
		rc = role_users(&st, r->t->db, number);
	}
	for (size_t i = 0; rc == SPM_OK && st.who == WHO_USERS && i < st.n; i++)
		rc = check_active(r->t->db, st.ids[i], number);
	if (rc == SPM_OK && st.n == 0)
		rc = spm__error_set(SPM_EINVAL, "approval step %d: the role has no active user",
				    number);
	if (rc == SPM_OK && number > 1)
		rc = append(r, ";");
	if (rc == SPM_OK)
		rc = append(r, st.all ? "all:" : "any:");
	for (size_t i = 0; rc == SPM_OK && i < st.n; i++) {
		snprintf(num, sizeof(num), "%s%" PRId64, i ? "," : "", st.ids[i]);
		rc = append(r, num);
	}
	return rc;
}

int spm__approval_steps_resolve(char **out, struct spm__txn *t, const char *steps, int64_t owner)
{
	struct resolve r = { t, owner, NULL, 0, 0 };
	int rc = each_step(steps, resolve_step, &r);

	if (rc != SPM_OK) {
		spm__free(t->db, r.buf);
		r.buf = NULL;
	}
	*out = r.buf;
	return rc;
}

int spm__approval_step(const char *resolved, int64_t step, int *all, int64_t *ids, size_t *n)
{
	const char *p = resolved;

	*n = 0;
	for (int64_t i = 0; p && i < step; i++) {
		p = strchr(p, ';');
		if (p)
			p++;
	}
	if (p == NULL || step < 0 || strlen(p) < 4)
		return 0;
	*all = strncmp(p, "all:", 4) == 0;
	p += 4;
	while (*n < SPM__APPROVAL_MAX_APPROVERS && digits(&ids[*n], &p)) {
		(*n)++;
		if (*p != ',')
			break;
		p++;
	}
	return *n > 0;
}
