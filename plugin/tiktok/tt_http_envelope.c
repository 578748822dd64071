/*
 * tt_http_envelope.c - what came back: TikTok's JSON envelope
 * {code, message, request_id, data} parsed, and libcurl's result mapped to
 * a transport class for tt_status_classify().
 */
#include <config.h>

#include "tiktok/tt_http.h"
#include "tiktok/tt_http_xfer.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/printbuf.h>
#include <openssl/crypto.h>

void tt_response_free(tt_response *resp)
{
    if (resp == NULL)
        return;
    json_object_put(resp->root);
    memset(resp, 0, sizeof(*resp));
}

tt_transport tt_http_parse_envelope(const char *body, size_t len, tt_response *resp,
                                    char *detail, size_t detail_len)
{
    return tt_http_parse_answer(body, len, 0, resp, detail, detail_len);
}

/* A tokener for an answer; for one carrying a secret, its scratch buffer
   (where every string is assembled before it becomes an object) is grown
   once to more than the whole body, so it is never realloc()ed while
   parsing and no freed block of it holds part of the token. NULL on OOM. */
static json_tokener *tt_answer_tokener(size_t len, int sensitive)
{
    json_tokener *tok = json_tokener_new();

    if (tok == NULL || !sensitive)
        return tok;
    /* json-c has no call that reaches this buffer: tok->pb it is, as in
       the host's secrets parser (host/ch_secrets.c). */
    if (len >= INT32_MAX || printbuf_memset(tok->pb, 0, 0, (int) len + 1) < 0) {
        json_tokener_free(tok);
        return NULL;
    }
    printbuf_reset(tok->pb);
    return tok;
}

/* Frees tok, first wiping its scratch buffer when the answer was secret:
   json-c frees it as it is, holding the last strings parsed. */
static void tt_answer_tokener_free(json_tokener *tok, int sensitive)
{
    if (tok == NULL)
        return;   /* json-c 0.16 crashes on NULL */
    if (sensitive && tok->pb != NULL && tok->pb->buf != NULL && tok->pb->size > 0)
        OPENSSL_cleanse(tok->pb->buf, (size_t) tok->pb->size);
    json_tokener_free(tok);
}

tt_transport tt_http_parse_answer(const char *body, size_t len, int sensitive,
                                  tt_response *resp, char *detail, size_t detail_len)
{
    json_tokener *tok = NULL;
    json_object *root = NULL, *v;
    size_t i;
    tt_transport t = TT_TRANSPORT_BAD_BODY;

    json_object_put(resp->root);
    resp->root = NULL;
    resp->data = NULL;
    resp->code = -1;
    resp->message[0] = '\0';
    resp->request_id[0] = '\0';
    if (len == 0) {
        snprintf(detail, detail_len, "empty body");
        goto cleanup;
    }
    if (len > INT32_MAX) {
        snprintf(detail, detail_len, "body too large");
        goto cleanup;
    }
    tok = tt_answer_tokener(len, sensitive);
    if (tok == NULL) {
        snprintf(detail, detail_len, "out of memory");
        goto cleanup;
    }
    root = json_tokener_parse_ex(tok, body, (int) len);
    if (root == NULL) {
        snprintf(detail, detail_len, "%s",
                 json_tokener_get_error(tok) == json_tokener_continue
                     ? "truncated JSON" : "not JSON");
        goto cleanup;
    }
    for (i = (size_t) json_tokener_get_parse_end(tok); i < len; i++) {
        if (!isspace((unsigned char) body[i])) {
            snprintf(detail, detail_len, "trailing data after the JSON value");
            goto cleanup;
        }
    }
    if (!json_object_is_type(root, json_type_object)) {
        snprintf(detail, detail_len, "not a JSON object");
        goto cleanup;
    }
    if (!json_object_object_get_ex(root, "code", &v) || !json_object_is_type(v, json_type_int)) {
        snprintf(detail, detail_len, "no integer \"code\" field");
        goto cleanup;
    }
    resp->code = (long) json_object_get_int64(v);
    if (json_object_object_get_ex(root, "message", &v) && json_object_is_type(v, json_type_string))
        ACONN_STRSET(resp->message, json_object_get_string(v));
    if (json_object_object_get_ex(root, "request_id", &v)
        && json_object_is_type(v, json_type_string))
        ACONN_STRSET(resp->request_id, json_object_get_string(v));
    if (json_object_object_get_ex(root, "data", &v) && json_object_is_type(v, json_type_object))
        resp->data = v;
    resp->root = root;
    root = NULL;
    t = TT_TRANSPORT_OK;
cleanup:
    json_object_put(root);
    tt_answer_tokener_free(tok, sensitive);
    return t;
}

tt_transport tt_http_transport_of(CURLcode rc)
{
    switch (rc) {
    case CURLE_OK:
        return TT_TRANSPORT_OK;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return TT_TRANSPORT_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        return TT_TRANSPORT_TIMEOUT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
        return TT_TRANSPORT_TLS;
    case CURLE_ABORTED_BY_CALLBACK:
        return TT_TRANSPORT_CANCELLED;
    case CURLE_FILESIZE_EXCEEDED:
        return TT_TRANSPORT_TOO_LARGE;
    case CURLE_OUT_OF_MEMORY:
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_READ_ERROR:
    case CURLE_FILE_COULDNT_READ_FILE:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_NOT_BUILT_IN:
        return TT_TRANSPORT_LOCAL;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    default:
        return TT_TRANSPORT_DROPPED;
    }
}

