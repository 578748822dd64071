/*
 * fz_envelope.c - TikTok's response envelope: tt_http_parse_envelope().
 *
 * Input: an HTTP 200 body, exactly `size` bytes with no terminating NUL
 * (the parser takes a length; reading past it is a finding ASan reports).
 * The same tt_response is reused for a second parse, as a retry does.
 */
#include <config.h>

#include "fz.h"

#include <string.h>

#include "tiktok/tt_http.h"

static int fz_envelope_sane(tt_transport t, const tt_response *resp, const char *detail)
{
    if (memchr(resp->message, '\0', sizeof(resp->message)) == NULL
        || memchr(resp->request_id, '\0', sizeof(resp->request_id)) == NULL)
        return 30;
    if (t == TT_TRANSPORT_OK) {
        if (resp->root == NULL || !json_object_is_type(resp->root, json_type_object))
            return 31;
        if (resp->data != NULL && !json_object_is_type(resp->data, json_type_object))
            return 32;
        return 0;
    }
    if (t != TT_TRANSPORT_BAD_BODY)
        return 33;
    if (resp->root != NULL || resp->data != NULL || detail[0] == '\0')
        return 34;
    return 0;
}

int fz_envelope(const uint8_t *data, size_t size)
{
    tt_response resp;
    char detail[128];
    tt_transport t;
    int rc;

    memset(&resp, 0, sizeof(resp));
    detail[0] = '\0';
    t = tt_http_parse_envelope((const char *) data, size, &resp, detail, sizeof(detail));
    rc = fz_envelope_sane(t, &resp, detail);
    if (rc == 0) {
        /* Parsing again into a used response must free the old tree. */
        detail[0] = '\0';
        if (tt_http_parse_envelope((const char *) data, size, &resp, detail,
                                   sizeof(detail)) != t)
            rc = 35;
        else
            rc = fz_envelope_sane(t, &resp, detail);
    }
    tt_response_free(&resp);
    return rc;
}
