/*
 * The report indicators of RECORDS.md as one table (include/ayil/
 * indicators.h), beside the record dictionary (schema.c) whose kinds,
 * fields and code lists it names. RECORDS.md is the contract: names and
 * order follow its table of indicators.
 */
#include <string.h>

#include "ayil/indicators.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* In output order. Unnamed members are NULL: every record of the kind, not
 * expanded, summing to nothing, a count. */
static const ayil_indicator_t indicators[] = {
    {.name = "appeals",
     .kind = "appeal",
     .op = AYIL_IND_RECORDS,
     .label = "ind.appeals"},
    /* An appeal can name several types: these do not sum to appeals. */
    {.name = "appeals.violence.<code>",
     .kind = "appeal",
     .op = AYIL_IND_RECORDS,
     .by = "violence",
     .label = "grp.appeals.violence",
     .chart = "chart.violence"},
    {.name = "appeals.sex.<code>",
     .kind = "appeal",
     .op = AYIL_IND_RECORDS,
     .by = "survivor_sex",
     .sums_to = "appeals",
     .label = "grp.appeals.sex"},
    {.name = "appeals.age.<code>",
     .kind = "appeal",
     .op = AYIL_IND_RECORDS,
     .by = "survivor_age",
     .sums_to = "appeals",
     .label = "grp.appeals.age"},
    {.name = "sessions",
     .kind = "session",
     .op = AYIL_IND_RECORDS,
     .label = "ind.sessions"},
    {.name = "sessions.violence_related",
     .kind = "session",
     .op = AYIL_IND_RECORDS,
     .where = "violence_related",
     .label = "ind.sessions.violence_related"},
    {.name = "families.registered",
     .kind = "family",
     .op = AYIL_IND_RECORDS,
     .label = "ind.families.registered"},
    {.name = "families.active",
     .kind = "family",
     .op = AYIL_IND_ACTIVE,
     .where = "status",
     .codes = {"active"},
     .until = "removed_date",
     .label = "ind.families.active"},
    {.name = "referrals",
     .kind = "referral",
     .op = AYIL_IND_RECORDS,
     .label = "ind.referrals"},
    {.name = "referrals.<service>",
     .kind = "referral",
     .op = AYIL_IND_RECORDS,
     .by = "service",
     .sums_to = "referrals",
     .label = "grp.referrals",
     .chart = "chart.referrals"},
    {.name = "referrals.crisis_or_shelter",
     .kind = "referral",
     .op = AYIL_IND_RECORDS,
     .where = "service",
     .codes = {"crisis_centre", "shelter"},
     .sums_to = "referrals",
     .label = "ind.referrals.crisis_or_shelter"},
    {.name = "protection_orders",
     .kind = "protection_order",
     .op = AYIL_IND_RECORDS,
     .label = "ind.protection_orders"},
    {.name = "aid.money.people",
     .kind = "aid",
     .op = AYIL_IND_RECORDS,
     .where = "kind",
     .codes = {"money"},
     .label = "ind.aid.money.people"},
    /* A sum of money, not a count of people. */
    {.name = "aid.money.som",
     .kind = "aid",
     .op = AYIL_IND_SUM,
     .where = "kind",
     .codes = {"money"},
     .sum = {"amount_som"},
     .hidden_with = "aid.money.people",
     .label = "ind.aid.money.som"},
    {.name = "aid.housing",
     .kind = "aid",
     .op = AYIL_IND_RECORDS,
     .where = "kind",
     .codes = {"housing"},
     .label = "ind.aid.housing"},
    {.name = "aid.in_kind",
     .kind = "aid",
     .op = AYIL_IND_RECORDS,
     .where = "kind",
     .codes = {"in_kind"},
     .label = "ind.aid.in_kind"},
    {.name = "prevention.events",
     .kind = "prevention",
     .op = AYIL_IND_RECORDS,
     .label = "ind.prevention.events"},
    {.name = "prevention.participants",
     .kind = "prevention",
     .op = AYIL_IND_SUM,
     .sum = {"participants_female", "participants_male"},
     .label = "ind.prevention.participants"},
    {.name = "training.events",
     .kind = "training",
     .op = AYIL_IND_RECORDS,
     .label = "ind.training.events",
     .chart = "chart.trainings"},
    {.name = "training.participants",
     .kind = "training",
     .op = AYIL_IND_SUM,
     .sum = {"participants_female", "participants_male"},
     .label = "ind.training.participants"},
    /* Expanded by a count: which days_<n> appear depends on the data. */
    {.name = "training.participants.days_<n>",
     .kind = "training",
     .op = AYIL_IND_SUM,
     .sum = {"participants_female", "participants_male"},
     .by = "days",
     .sums_to = "training.participants",
     .label = "grp.training.participants.days"},
    /* No total: RECORDS.md has no followups indicator. */
    {.name = "followups.<action>",
     .kind = "followup",
     .op = AYIL_IND_RECORDS,
     .by = "action",
     .label = "grp.followups"},
    {.name = "closures",
     .kind = "closure",
     .op = AYIL_IND_RECORDS,
     .label = "ind.closures"},
};

size_t ayil_indicators_n(void) {
  return N(indicators);
}

const ayil_indicator_t *ayil_indicator_at(size_t i) {
  return i < N(indicators) ? &indicators[i] : NULL;
}

const ayil_indicator_t *ayil_indicator(const char *name) {
  size_t i;

  if (name == NULL)
    return NULL;
  for (i = 0; i < N(indicators); i++)
    if (strcmp(indicators[i].name, name) == 0)
      return &indicators[i];
  return NULL;
}
