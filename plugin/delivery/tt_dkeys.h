/*
 * tt_dkeys.h - every key delivery keeps in the host's state store, in one
 * place: crash recovery depends on these formats, so a copy that drifts
 * would silently break it. Each returns 0, or -1 when the key does not fit
 * (TT_DKEY_MAX bytes).
 *
 *   conn/<cid>/layout                 "per_type" | "multiple_types"
 *   conn/<cid>/audience/<adv>/<slot>  the audience created for a new target
 *   conn/<cid>/intent/<adv>/<slot>    written before a create (tt_create.h)
 *   conn/<cid>/target/<adv>/<slot>    a target's standing when not healthy
 *   claim/<adv>/<audience_id>         the connection that owns an audience
 *   calc/<adv>/<audience_id>          an audience's calculate_type (fixed)
 *   run/<cid>/<run_id>                uploads and operations of one run
 * <slot> is "multiple_types", a type slug ("email", ...) in the per-type
 * layout, or "a<audience_id>" for an existing audience. budget/ and
 * replace/ keys are tt_budget's and tt_replace's.
 */
#ifndef TT_DKEYS_H
#define TT_DKEYS_H

#include <stddef.h>

#define TT_DKEY_MAX 256

int tt_dkey_layout(char *buf, size_t n, const char *cid);
int tt_dkey_audience(char *buf, size_t n, const char *cid, const char *adv, const char *slot);
int tt_dkey_intent(char *buf, size_t n, const char *cid, const char *adv, const char *slot);
int tt_dkey_target(char *buf, size_t n, const char *cid, const char *adv, const char *slot);
int tt_dkey_claim(char *buf, size_t n, const char *adv, const char *audience_id);
int tt_dkey_calc(char *buf, size_t n, const char *adv, const char *audience_id);
int tt_dkey_run(char *buf, size_t n, const char *cid, const char *run_id);

#endif
