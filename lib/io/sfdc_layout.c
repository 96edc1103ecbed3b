/* The roles each input file of spm_opp_import() can fill, and the headers
 * of a Salesforce export (Opportunity, OpportunityHistory,
 * OpportunityLineItem) that fill them when no mapping is given. */
#include "io/import_opportunity.h"

#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Order = the role enums in import_opportunity.h; required roles first. */
static const char *const opp_roles[] = {
	"id", "stage", "name", "account", "customer_id", "owner", "owner_id", "amount",
	"currency", "close_date", "created", "source", "lost_reason", "probability",
	"forecast_category",
};
static const char *const history_roles[] = {
	"opportunity", "stage", "at", "amount", "currency", "actor", "probability",
	"forecast_category",
};
static const char *const item_roles[] = {
	"opportunity", "product", "quantity", "unit_price", "currency", "discount", "discount_bp",
};

static const char *const sfdc_opportunity[] = {
	"Id", "id",
	"Name", "name",
	"StageName", "stage",
	"AccountId", "account",
	"OwnerId", "owner",
	"Amount", "amount",
	"CurrencyIsoCode", "currency",
	"CloseDate", "close_date",
	"CreatedDate", "created",
	"LeadSource", "source",
	"Loss_Reason__c", "lost_reason",
	"Probability", "probability",
	"ForecastCategoryName", "forecast_category",
};
static const char *const sfdc_history[] = {
	"OpportunityId", "opportunity",
	"StageName", "stage",
	"CreatedDate", "at",
	"Amount", "amount",
	"CurrencyIsoCode", "currency",
	"CreatedById", "actor",
	"Probability", "probability",
	"ForecastCategory", "forecast_category",
};
static const char *const sfdc_line_item[] = {
	"OpportunityId", "opportunity",
	"Name", "product",
	"Quantity", "quantity",
	"UnitPrice", "unit_price",
	"CurrencyIsoCode", "currency",
	"Discount", "discount",
};

const struct spm__opp_layout spm__opp_layouts[SPM__OPP_FILES] = {
	{ opp_roles, N(opp_roles), 2, sfdc_opportunity, N(sfdc_opportunity) / 2 },
	{ history_roles, N(history_roles), 3, sfdc_history, N(sfdc_history) / 2 },
	{ item_roles, N(item_roles), 4, sfdc_line_item, N(sfdc_line_item) / 2 },
};

long spm__opp_role(int file, const char *name)
{
	const struct spm__opp_layout *l = &spm__opp_layouts[file];

	for (size_t i = 0; i < l->nroles; i++)
		if (strcmp(l->roles[i], name) == 0)
			return (long)i;
	return -1;
}
