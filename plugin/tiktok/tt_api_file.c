/*
 * tt_api_file.c - customer-file uploads, one file to several advertisers
 * at once (curl multi via tt_http_call_many).
 */
#include <config.h>

#include "tiktok/tt_api_int.h"

#include <stdlib.h>
#include <string.h>

/* TikTok wants the file name to end exactly in .txt or .csv. */
static const char *tt_upload_name(const char *local_path)
{
    const char *base = strrchr(local_path, '/');
    size_t n;

    base = base != NULL ? base + 1 : local_path;
    n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".txt") == 0)
        return base;
    return "audience.txt";
}

aconn_status tt_api_file_upload_many(const tt_api *api, const char *const *advertiser_ids,
                                     size_t n, const char *calculate_type,
                                     const char *local_path, const char *md5_hex,
                                     tt_upload_result *results)
{
    static const char ep[] = "dmp/custom_audience/file/upload";
    tt_upload_form *forms = NULL;
    tt_request *reqs = NULL;
    tt_response *resps = NULL;
    aconn_status *statuses = NULL;
    aconn_error *errs = NULL;
    aconn_status first = ACONN_OK;
    size_t i;

    if (n == 0)
        return ACONN_OK;
    for (i = 0; i < n; i++) {
        memset(&results[i], 0, sizeof(results[i]));
        results[i].err.struct_size = sizeof(results[i].err);
    }
    forms = calloc(n, sizeof(*forms));
    reqs = calloc(n, sizeof(*reqs));
    resps = calloc(n, sizeof(*resps));
    statuses = calloc(n, sizeof(*statuses));
    errs = calloc(n, sizeof(*errs));
    if (forms == NULL || reqs == NULL || resps == NULL || statuses == NULL || errs == NULL) {
        for (i = 0; i < n; i++)
            results[i].status = tt_api_oom(&results[i].err, ep);
        first = ACONN_ERR_FATAL;
        goto cleanup;
    }
    for (i = 0; i < n; i++) {
        forms[i].advertiser_id = advertiser_ids[i];
        forms[i].calculate_type = calculate_type;
        forms[i].file_signature = md5_hex;
        forms[i].file_path = local_path;
        forms[i].file_name = tt_upload_name(local_path);
        tt_api_request_init(&reqs[i], api, TT_POST_MULTIPART, ep, advertiser_ids[i]);
        reqs[i].upload = &forms[i];
        errs[i].struct_size = sizeof(errs[i]);
    }
    (void) tt_http_call_many(api->http, api->host, reqs, n, resps, statuses, errs);
    for (i = 0; i < n; i++) {
        results[i].status = statuses[i];
        results[i].err = errs[i];
        if (statuses[i] == ACONN_OK) {
            results[i].file_path = tt_json_str(resps[i].data, "file_path");
            if (results[i].file_path == NULL)
                results[i].status = tt_api_bad_data(&results[i].err, ep, "file_path", &resps[i]);
        }
        if (results[i].status != ACONN_OK && first == ACONN_OK)
            first = results[i].status;
        tt_response_free(&resps[i]);
    }
cleanup:
    free(forms);
    free(reqs);
    free(resps);
    free(statuses);
    free(errs);
    return first;
}
