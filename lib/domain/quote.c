/* Quotes (报价): versions per opportunity, lines, exact totals, the status
 * flow draft → sent → accepted | rejected, and the discount approval. Only
 * the latest version is editable, and only while it is a draft. */
#include "domain/collab.h"
#include "domain/org.h"
#include "domain/record_fields.h"
#include "core/kinds.h"
#include "core/write.h"

#include <inttypes.h>
#include <string.h>

#define BP 10000

static int check_bp(const spm_record *rec, const char *what)
{
	int64_t bp = spm__fld_num(rec, "discount_bp");

	if (bp < 0 || bp > BP)
		return spm__error_set(SPM_EINVAL, "%s.discount_bp must be 0..10000, not %" PRId64,
				      what, bp);
	return SPM_OK;
}

/* quantity × unit_price × (1 − bp/10000), rounded half-even once. */
static int line_amount(int64_t *out, int64_t *gross, const spm_record *line)
{
	int64_t price = spm__fld_num(line, "unit_price");
	int rc = spm_money_mul(gross, price, spm__fld_num(line, "quantity"));

	if (rc == SPM_OK)
		rc = spm_money_mul_ratio(out, *gross, BP - spm__fld_num(line, "discount_bp"), BP,
					 SPM_ROUND_HALF_EVEN);
	if (rc != SPM_OK)
		return spm__error_set(SPM_EOVERFLOW, "quote_line: quantity × unit_price overflows");
	return SPM_OK;
}

/* Derives discount, total and effective_discount_bp from list_total,
 * subtotal and discount_bp. */
static int derive_totals(spm_record *q)
{
	const char *cur = spm__collab_currency(q, "subtotal");
	int64_t sub = spm__fld_num(q, "subtotal"), list = spm__fld_num(q, "list_total");
	int64_t discount, total, eff = 0;
	int rc;

	if (cur == NULL)
		return SPM_OK;  /* no lines yet */
	rc = spm_money_mul_ratio(&discount, sub, spm__fld_num(q, "discount_bp"), BP,
				 SPM_ROUND_HALF_EVEN);
	if (rc == SPM_OK)
		rc = spm_money_sub(&total, sub, discount);
	if (rc != SPM_OK)
		return spm__error_set(SPM_EOVERFLOW, "quote %" PRId64 ": the total overflows", q->id);
	if (list > 0)
		eff = (int64_t)((__extension__(__int128)(list - total) * BP) / list);  /* floor */
	rc = spm__collab_put_money(q, "discount", discount, cur);
	if (rc == SPM_OK)
		rc = spm__collab_put_money(q, "total", total, cur);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(q, "effective_discount_bp", eff);
	return rc;
}

static int scan_by(struct spm__page *page, spm_db *db, const char *kind, const char *field,
		   int64_t id)
{
	spm_kind *k = spm__kind_find(db, kind, 0);
	spm_scan_cond cond = { (size_t)spm__core_index(k, field), SPM_CMP_EQ, id, NULL };
	spm_scan scan = { SPM_SCAN_VERSION, &cond, 1, 0, 0, 0, 0, NULL, 0 };

	return spm__scan_page(db, page, k, &scan);
}

/* Sums the lines of a quote (leaving out the line skip) into the quote. */
static int recompute(struct spm__txn *t, int64_t quote, int64_t skip)
{
	struct spm__page lines = { NULL, 0, 0 };
	spm_record *q = NULL, *stored = NULL;
	const char *cur = NULL;
	int64_t list = 0, sub = 0;
	int rc = scan_by(&lines, t->db, "quote_line", "quote_id", quote);

	for (size_t i = 0; rc == SPM_OK && i < lines.n; i++) {
		const spm_record *l = lines.recs[i];
		const char *c = spm__collab_currency(l, "unit_price");
		int64_t amount, gross;

		if (l->id == skip)
			continue;
		if (cur && c && strcmp(cur, c) != 0) {
			rc = spm__error_set(SPM_ECURRENCY, "quote %" PRId64 " mixes %s and %s", quote,
					    cur, c);
			break;
		}
		cur = c;
		rc = line_amount(&amount, &gross, l);
		if (rc == SPM_OK && (spm_money_add(&list, list, gross) != SPM_OK ||
				     spm_money_add(&sub, sub, amount) != SPM_OK))
			rc = spm__error_set(SPM_EOVERFLOW, "quote %" PRId64 ": the total overflows",
					    quote);
	}
	if (rc == SPM_OK)
		rc = spm__collab_get(&q, t->db, "quote", quote);
	if (rc == SPM_OK && cur) {
		rc = spm__collab_put_money(q, "list_total", list, cur);
		if (rc == SPM_OK)
			rc = spm__collab_put_money(q, "subtotal", sub, cur);
	} else if (rc == SPM_OK) {
		static const char *const sums[] = { "list_total", "subtotal", "discount", "total",
						    "effective_discount_bp" };
		for (size_t i = 0; i < sizeof(sums) / sizeof(sums[0]); i++)
			spm__record_put_null(q, (size_t)spm__fld_idx(q, sums[i]));
	}
	if (rc == SPM_OK)
		rc = spm__write_save(t, q, &stored);  /* quote validate derives the rest */
	spm_record_free(stored);
	spm_record_free(q);
	spm__page_clear(t->db, &lines);
	return rc;
}

/* The latest version of the opportunity's quotes, or NULL. */
static int latest_of(spm_record **out, spm_db *db, int64_t opportunity)
{
	struct spm__page page = { NULL, 0, 0 };
	int rc = scan_by(&page, db, "quote", "opportunity_id", opportunity);

	*out = NULL;
	for (size_t i = 0; rc == SPM_OK && i < page.n; i++)
		if (spm__fld_num(page.recs[i], "latest")) {
			*out = page.recs[i];
			page.recs[i] = NULL;
		}
	for (size_t i = 0; i < page.n; i++)
		spm_record_free(page.recs[i]);
	page.n = 0;
	spm__page_clear(db, &page);
	return rc;
}

static int may_move(const char *from, const char *to)
{
	return strcmp(from, to) == 0 || (strcmp(from, "draft") == 0 && strcmp(to, "sent") == 0) ||
	       (strcmp(from, "sent") == 0 &&
		(strcmp(to, "accepted") == 0 || strcmp(to, "rejected") == 0));
}

/* A changed field the user may write (read-only ones are the library's). */
static const char *user_change(const spm_record *before, const spm_record *after)
{
	for (size_t i = 0; i < after->kind->nfields && i < after->nvalues; i++) {
		const struct spm__field *f = &after->kind->fields[i];
		if (!(f->flags & SPM_FIELD_READONLY) && strcmp(f->name, "status") != 0 &&
		    spm__collab_changed(before, after, f->name))
			return f->name;
	}
	return NULL;
}

static int create(struct spm__txn *t, spm_record *after)
{
	spm_record *prev = NULL;
	const char *status = spm__fld_text(after, "status");
	int rc;

	if (status && strcmp(status, "draft") != 0)
		return spm__error_set(SPM_EINVAL, "a new quote is a draft, not %s", status);
	rc = spm__collab_check_link(t->db, "quote.opportunity_id", "opportunity",
				    spm__fld_num(after, "opportunity_id"));
	if (rc == SPM_OK)
		rc = latest_of(&prev, t->db, spm__fld_num(after, "opportunity_id"));
	if (rc == SPM_OK)
		rc = spm__fld_put_text(after, "status", "draft");
	if (rc == SPM_OK)
		rc = spm__fld_put_num(after, "version", prev ? spm__fld_num(prev, "version") + 1 : 1);
	if (rc == SPM_OK && prev)
		rc = spm__fld_put_num(after, "previous_id", prev->id);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(after, "latest", 1);
	spm_record_free(prev);
	return rc;
}

int spm__quote_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	const char *from, *to, *changed;
	int64_t pending;
	int rc;

	if (after == NULL)
		return spm__error_set(SPM_EPERM, "quotes are kept: reject or revise quote %" PRId64
				      " instead", before->id);
	rc = check_bp(after, "quote");
	if (rc == SPM_OK && before == NULL)
		rc = create(t, after);
	if (rc != SPM_OK || before == NULL)
		return rc;
	if (spm__collab_changed(before, after, "opportunity_id"))
		return spm__error_set(SPM_EINVAL, "quote %" PRId64 " cannot move to another "
				      "opportunity", after->id);
	from = spm__fld_text(before, "status");
	to = spm__fld_text(after, "status");
	changed = user_change(before, after);
	if (!spm__fld_num(before, "latest") && (changed || !spm__fld_is(from, to)))
		return spm__error_set(SPM_EINVAL, "quote %" PRId64 " is version %" PRId64 "; only "
				      "the latest version is editable", after->id,
				      spm__fld_num(after, "version"));
	if (to == NULL || !may_move(from, to))
		return spm__error_set(SPM_EINVAL, "quote %" PRId64 " cannot go from %s to %s",
				      after->id, from, to ? to : "(none)");
	if (changed && !spm__fld_is(from, "draft"))
		return spm__error_set(SPM_EINVAL, "quote %" PRId64 " is %s; only a draft is "
				      "editable (revise it for a new version)", after->id, from);
	if (spm__fld_is(from, "draft") && spm__fld_is(to, "sent")) {
		if (!spm__fld_has(after, "subtotal"))
			return spm__error_set(SPM_EINVAL, "quote %" PRId64 " has no lines to send",
					      after->id);
		rc = spm__approval_needed(t, SPM_APPROVAL_QUOTE_DISCOUNT, before, NULL, &pending);
		if (rc == SPM_OK)
			rc = spm__fld_put_num(after, "sent_at", t->at);
	}
	if (rc == SPM_OK)
		rc = derive_totals(after);
	return rc;
}

/* A new version copies the previous one's lines and retires it. */
int spm__quote_after_write(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	struct spm__page lines = { NULL, 0, 0 };
	spm_record *prev = NULL, *stored = NULL, *fresh = NULL;
	int64_t prev_id = spm__fld_num(after, "previous_id");
	int rc = SPM_OK;

	if (before || prev_id == 0)
		return SPM_OK;
	rc = spm__collab_get(&prev, t->db, "quote", prev_id);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(prev, "latest", 0);
	if (rc == SPM_OK)
		rc = spm__write_save(t, prev, &stored);
	spm_record_free(stored);
	if (rc == SPM_OK)
		rc = scan_by(&lines, t->db, "quote_line", "quote_id", prev_id);
	for (size_t i = 0; rc == SPM_OK && i < lines.n; i++) {
		spm_record *copy = NULL;
		rc = spm__record_make(&copy, t->db, lines.recs[i]->kind);
		for (size_t k = 0; rc == SPM_OK && k < copy->nvalues; k++)
			if (!(copy->kind->fields[k].flags & SPM_FIELD_READONLY) && k < lines.recs[i]->nvalues)
				rc = spm__record_copy_value(copy, k, lines.recs[i]);
		if (rc == SPM_OK)
			rc = spm__fld_put_num(copy, "quote_id", after->id);
		stored = NULL;
		if (rc == SPM_OK)
			rc = spm__write_save(t, copy, &stored);
		spm_record_free(stored);
		spm_record_free(copy);
	}
	/* the lines updated the stored quote: hand the caller that version */
	if (rc == SPM_OK && lines.n)
		rc = spm__collab_get(&fresh, t->db, "quote", after->id);
	for (size_t k = 0; rc == SPM_OK && fresh && k < after->nvalues && k < fresh->nvalues; k++)
		rc = spm__record_copy_value(after, k, fresh);
	spm_record_free(fresh);
	spm_record_free(prev);
	spm__page_clear(t->db, &lines);
	return rc;
}

static int editable_quote(spm_db *db, int64_t quote, const char *what)
{
	spm_record *q = NULL;
	int rc = spm__collab_get(&q, db, "quote", quote);

	if (rc == SPM_ENOTFOUND)
		rc = spm__error_set(SPM_ENOTFOUND, "%s: quote %" PRId64 " does not exist", what, quote);
	else if (rc == SPM_OK && !spm__fld_num(q, "latest"))
		rc = spm__error_set(SPM_EINVAL, "%s: quote %" PRId64 " is not the latest version",
				    what, quote);
	else if (rc == SPM_OK && !spm__fld_is(spm__fld_text(q, "status"), "draft"))
		rc = spm__error_set(SPM_EINVAL, "%s: quote %" PRId64 " is %s; only a draft is "
				    "editable", what, quote, spm__fld_text(q, "status"));
	spm_record_free(q);
	return rc;
}

int spm__quote_line_validate(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	const spm_record *rec = after ? after : before;
	int64_t amount, gross;
	int rc = editable_quote(t->db, spm__fld_num(rec, "quote_id"), "quote_line");

	if (rc == SPM_OK && before && after && spm__collab_changed(before, after, "quote_id"))
		rc = spm__error_set(SPM_EINVAL, "a quote line cannot move to another quote");
	if (rc == SPM_OK && after == NULL)  /* delete: no after_write runs, so sum now */
		return recompute(t, spm__fld_num(before, "quote_id"), before->id);
	if (rc == SPM_OK)
		rc = check_bp(after, "quote_line");
	if (rc == SPM_OK && spm__fld_num(after, "quantity") <= 0)
		rc = spm__error_set(SPM_EINVAL, "quote_line.quantity must be > 0");
	if (rc == SPM_OK && spm__fld_num(after, "unit_price") < 0)
		rc = spm__error_set(SPM_EINVAL, "quote_line.unit_price must not be negative");
	if (rc == SPM_OK)
		rc = line_amount(&amount, &gross, after);
	if (rc == SPM_OK)
		rc = spm__collab_put_money(after, "amount", amount,
					   spm__collab_currency(after, "unit_price"));
	return rc;
}

int spm__quote_line_after_write(struct spm__txn *t, const spm_record *before, spm_record *after)
{
	(void)before;
	return recompute(t, spm__fld_num(after, "quote_id"), 0);
}

/* Loads a quote the actor may see. */
static int load_quote(spm_record **out, struct spm__txn *t, int64_t id)
{
	struct spm__scope *s;
	int seen = 0, rc = spm__collab_get(out, t->db, "quote", id);

	if (rc == SPM_OK)
		rc = spm__txn_scope(&s, t);
	if (rc == SPM_OK)
		rc = spm__scope_sees(&seen, s, t->db, *out);
	if (rc == SPM_ENOTFOUND || (rc == SPM_OK && !seen))
		rc = spm__error_set(SPM_ENOTFOUND, "quote %" PRId64 " does not exist", id);
	return rc;
}

int spm_quote_revise(int64_t *out, spm_db *db, int64_t quote)
{
	struct spm__txn t;
	spm_record *q = NULL, *next = NULL, *stored = NULL;
	static const char *const copied[] = { "discount_bp", "valid_until", "note" };
	int rc;

	SPM__CHECK_ARG(db);
	if (out)
		*out = 0;
	rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	rc = load_quote(&q, &t, quote);
	if (rc == SPM_OK && !spm__fld_num(q, "latest"))
		rc = spm__error_set(SPM_EINVAL, "quote %" PRId64 " is not the latest version", quote);
	if (rc == SPM_OK)
		rc = spm__record_make(&next, db, q->kind);
	if (rc == SPM_OK)
		rc = spm__fld_put_num(next, "opportunity_id", spm__fld_num(q, "opportunity_id"));
	for (size_t i = 0; rc == SPM_OK && i < sizeof(copied) / sizeof(copied[0]); i++)
		if (spm__fld_has(q, copied[i]))
			rc = spm__record_copy_value(next, (size_t)spm__fld_idx(q, copied[i]), q);
	if (rc == SPM_OK)
		rc = spm__write_save(&t, next, &stored);
	if (rc == SPM_OK && out)
		*out = stored->id;
	spm_record_free(stored);
	spm_record_free(next);
	spm_record_free(q);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		if (out)
			*out = 0;
		return rc;
	}
	return spm__txn_commit(&t);
}

int spm_quote_send(int64_t *out_request, spm_db *db, int64_t quote)
{
	struct spm__txn t;
	spm_record *q = NULL, *stored = NULL;
	int64_t pending = 0;
	int rc;

	SPM__CHECK_ARG(db);
	if (out_request)
		*out_request = 0;
	rc = spm__txn_begin(&t, db);
	if (rc != SPM_OK)
		return rc;
	rc = load_quote(&q, &t, quote);
	if (rc == SPM_OK && (!spm__fld_num(q, "latest") ||
			     !spm__fld_is(spm__fld_text(q, "status"), "draft")))
		rc = spm__error_set(SPM_EINVAL, "quote %" PRId64 " is not the latest draft", quote);
	if (rc == SPM_OK && !spm__fld_has(q, "subtotal"))
		rc = spm__error_set(SPM_EINVAL, "quote %" PRId64 " has no lines to send", quote);
	if (rc == SPM_OK)
		rc = spm__approval_required(&t, SPM_APPROVAL_QUOTE_DISCOUNT, q, NULL, &pending);
	if (rc == SPM_EAPPROVAL) {
		if (out_request)
			*out_request = pending;
		rc = spm__approval_finish(&t, SPM_APPROVAL_QUOTE_DISCOUNT, q, pending);
		spm_record_free(q);
		return rc;
	}
	if (rc == SPM_OK)
		rc = spm__fld_put_text(q, "status", "sent");
	if (rc == SPM_OK)
		rc = spm__write_save(&t, q, &stored);
	spm_record_free(stored);
	spm_record_free(q);
	if (rc != SPM_OK) {
		spm__txn_abort(&t);
		return rc;
	}
	return spm__txn_commit(&t);
}
