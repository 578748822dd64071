/* tt_dkeys.c - delivery's state keys (see tt_dkeys.h). */
#include <config.h>

#include "common/tt_kv.h"
#include "delivery/tt_dkeys.h"

int tt_dkey_layout(char *buf, size_t n, const char *cid)
{
    return tt_kv_key(buf, n, "conn/%s/layout", cid);
}

int tt_dkey_audience(char *buf, size_t n, const char *cid, const char *adv, const char *slot)
{
    return tt_kv_key(buf, n, "conn/%s/audience/%s/%s", cid, adv, slot);
}

int tt_dkey_intent(char *buf, size_t n, const char *cid, const char *adv, const char *slot)
{
    return tt_kv_key(buf, n, "conn/%s/intent/%s/%s", cid, adv, slot);
}

int tt_dkey_target(char *buf, size_t n, const char *cid, const char *adv, const char *slot)
{
    return tt_kv_key(buf, n, "conn/%s/target/%s/%s", cid, adv, slot);
}

int tt_dkey_claim(char *buf, size_t n, const char *adv, const char *audience_id)
{
    return tt_kv_key(buf, n, "claim/%s/%s", adv, audience_id);
}

int tt_dkey_calc(char *buf, size_t n, const char *adv, const char *audience_id)
{
    return tt_kv_key(buf, n, "calc/%s/%s", adv, audience_id);
}

int tt_dkey_run(char *buf, size_t n, const char *cid, const char *run_id)
{
    return tt_kv_key(buf, n, "run/%s/%s", cid, run_id);
}

int tt_dkey_budget(char *buf, size_t n, const char *adv)
{
    return tt_kv_key(buf, n, "budget/%s", adv);
}

int tt_dkey_budget_legacy(char *buf, size_t n, const char *adv, int year, int month, int day)
{
    return tt_kv_key(buf, n, "budget/%s/%04d-%02d-%02d", adv, year, month, day);
}

int tt_dkey_replace(char *buf, size_t n, const char *adv, const char *audience_id)
{
    return tt_kv_key(buf, n, "replace/%s/%s", adv, audience_id);
}
