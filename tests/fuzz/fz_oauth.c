/*
 * fz_oauth.c - the OAuth redirect URL, as a browser (or an attacker) hands
 * it back: tt_oauth_parse_callback() must never crash, must either extract
 * auth_code/state or refuse with callback_malformed and no outputs, and no
 * state pulled out of a random URL may pass the signature check.
 */
#include <config.h>

#include "fz.h"

#include <stdlib.h>
#include <string.h>

#include "profile/tt_oauth.h"
#include "profile/tt_state.h"

#define FZ_KEY "fz-state-key-3b7c0d1e9f2a4b6c8d0e1f2a3b4c5d6e"

int fz_oauth(const uint8_t *data, size_t size);

int fz_oauth(const uint8_t *data, size_t size)
{
    char *url = fz_strndup(data, size), *code = NULL, *state = NULL;
    tt_state_claims claims;
    aconn_error err;
    aconn_status st;
    int rc = 0;

    if (url == NULL)
        return 0;
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    st = tt_oauth_parse_callback(url, &code, &state, &err);
    if (st != ACONN_OK && st != ACONN_ERR_AUTH_FLOW)
        rc = 100;
    else if (st != ACONN_OK && (strcmp(err.code, "callback_malformed") != 0 || code != NULL
                                || state != NULL))
        rc = 101;
    else if (st == ACONN_OK && state != NULL) {
        /* Whatever came out of the URL goes to the state check next. */
        st = tt_state_verify(FZ_KEY, strlen(FZ_KEY), state, "fz", 0, &claims, &err);
        if (st == ACONN_OK)
            rc = 102;   /* a random URL cannot carry a valid signature */
    }
    free(url);
    free(code);
    free(state);
    return rc;
}
