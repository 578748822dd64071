/*
 * test_http_transport.c - tt_http against the loopback server of
 * http_fixture.c, for transport edge cases only: redirects not followed,
 * timeouts, oversized and non-JSON bodies, refused connections and
 * cancellation, list pages, multipart uploads in parallel, and TLS with a
 * trusted and an untrusted certificate. TikTok's semantics are the
 * sandbox's job. Statuses and retries are test_http_retry.c.
 */
#include <config.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "http_fixture.h"
#include "mock_host.h"
#include "tiktok/tt_api.h"
#include "tiktok/tt_http.h"
#include "ts_cunit.h"

static void test_redirect_not_followed(void)
{
    fixture f;
    int before = plain.hits_ok;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    CU_ASSERT_EQUAL(call(&f, "redirect", NULL), ACONN_ERR_REJECTED);
    CU_ASSERT_STRING_EQUAL(f.err.code, "redirect_refused");
    CU_ASSERT_EQUAL(f.err.http_status, 302);
    CU_ASSERT_EQUAL(plain.hits_ok - before, 0);
    fixture_free(&f);
}

static void test_timeout(void)
{
    fixture f;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    f.http.timeout_ms = 300;
    f.http.max_attempts = 1;
    CU_ASSERT_EQUAL(call(&f, "slow", NULL), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(f.err.code, "timeout");
    fixture_free(&f);
}

static void test_bad_bodies(void)
{
    fixture f;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    f.http.max_attempts = 1;
    CU_ASSERT_EQUAL(call(&f, "notjson", NULL), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(f.err.code, "bad_response");
    CU_ASSERT_PTR_NOT_NULL(strstr(f.err.message, "notjson"));
    CU_ASSERT_EQUAL(call(&f, "truncated", NULL), ACONN_RETRY);
    CU_ASSERT_PTR_NOT_NULL(strstr(f.err.message, "truncated JSON"));
    f.http.max_body = 4096;
    CU_ASSERT_EQUAL(call(&f, "big", NULL), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(f.err.code, "response_too_large");
    CU_ASSERT_EQUAL(call(&f, "no/such/endpoint", NULL), ACONN_ERR_REJECTED);
    CU_ASSERT_STRING_EQUAL(f.err.code, "http_404");
    fixture_free(&f);
}

static void test_connect_refused_and_cancel(void)
{
    fixture f;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, "http://127.0.0.1:1", NULL), 0);
    f.http.max_attempts = 2;
    CU_ASSERT_EQUAL(call(&f, "ok", NULL), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(f.err.code, "connect_failed");
    CU_ASSERT_EQUAL(f.http.stats.retries, 1);
    fixture_free(&f);

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    plain.hits_flaky = 0;
    f.m->cancelled = 1;
    CU_ASSERT_EQUAL(call(&f, "flaky", NULL), ACONN_RETRY_CANCELLED);
    CU_ASSERT_EQUAL(plain.hits_flaky, 0);
    fixture_free(&f);
}

static void test_list_pages(void)
{
    fixture f;
    tt_api api;
    tt_audience_list l;
    int before = plain.hits_list;

    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    api.http = &f.http;
    api.host = &f.m->host;
    api.token = TOKEN;
    api.profile = "acme";
    CU_ASSERT_EQUAL_FATAL(tt_api_audience_list(&api, "7001", &l, &f.err), ACONN_OK);
    CU_ASSERT_EQUAL(plain.hits_list - before, 3);
    CU_ASSERT_EQUAL_FATAL(l.count, 6);
    CU_ASSERT_STRING_EQUAL(l.items[0].audience_id, "101");
    CU_ASSERT_EQUAL(l.items[0].cover_num, 1500);
    CU_ASSERT_TRUE(l.items[0].is_valid);
    CU_ASSERT_STRING_EQUAL(l.items[5].audience_id, "302");
    CU_ASSERT_EQUAL(l.items[5].cover_num, -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(plain.last_args, "page_size=100&"));
    tt_audience_list_free(&l);
    fixture_free(&f);
}

static void test_parallel_upload(void)
{
    fixture f;
    tt_api api;
    char dir[] = "/tmp/tt_upload_XXXXXX";
    char path[64];
    const char *advs[] = {"adv-1", "adv-denied", "adv-3"};
    tt_upload_result res[3];
    /* The file's MD5 (md5sum of content): the spool computes it as it
       writes; here it is a constant so a wrong signature sent shows. */
    static const char md5[] = "63ab4e2b2f23dc4e447dfbe641d225c9";
    int fd, before = plain.hits_upload;
    static const char content[] = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8\n";

    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/tt_upload_ids.txt", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(write(fd, content, strlen(content)), (ssize_t) strlen(content));
    close(fd);
    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, plain.base, NULL), 0);
    api.http = &f.http;
    api.host = &f.m->host;
    api.token = TOKEN;
    api.profile = "acme";
    /* Each upload waits its own turn in the pace (ABI 1.2). */
    mock_host_enable_pace(f.m, 20);
    CU_ASSERT_EQUAL(tt_api_file_upload_many(&api, advs, 3, "EMAIL_SHA256", path, md5, res),
                    ACONN_ERR_PERMISSION);
    CU_ASSERT_EQUAL(plain.hits_upload - before, 3);
    CU_ASSERT_EQUAL(f.m->pace_grants, 3);
    CU_ASSERT_STRING_EQUAL(f.m->pace_key, "default/dmp/custom_audience/file/upload");
    CU_ASSERT_EQUAL(res[0].status, ACONN_OK);
    CU_ASSERT_STRING_EQUAL(res[0].file_path, "fp-adv-1");
    CU_ASSERT_EQUAL(res[1].status, ACONN_ERR_PERMISSION);
    CU_ASSERT_PTR_NULL(res[1].file_path);
    CU_ASSERT_PTR_NOT_NULL(strstr(res[1].err.message, "adv-denied"));
    CU_ASSERT_EQUAL(res[2].status, ACONN_OK);
    CU_ASSERT_STRING_EQUAL(res[2].file_path, "fp-adv-3");
    /* The multipart body carried every field and the file itself. */
    CU_ASSERT_PTR_NOT_NULL(strstr(plain.last_upload, "name=\"calculate_type\"\r\n\r\nEMAIL_SHA256"));
    CU_ASSERT_PTR_NOT_NULL(strstr(plain.last_upload, "name=\"file_signature\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(plain.last_upload, md5));
    CU_ASSERT_PTR_NOT_NULL(strstr(plain.last_upload, "filename=\"tt_upload_"));
    CU_ASSERT_PTR_NOT_NULL(strstr(plain.last_upload, content));
    CU_ASSERT_EQUAL(f.http.stats.bytes_uploaded > 2 * strlen(content), 1);
    tt_upload_results_free(res, 3);
    fixture_free(&f);
    unlink(path);
    rmdir(dir);
}

/* ---- TLS ---- */

typedef struct tls_id {
    char *key_pem;
    char *cert_pem;
    char ca_path[64];
} tls_id;

static char *bio_text(BIO *bio)
{
    char *data = NULL, *out;
    long n = BIO_get_mem_data(bio, &data);

    out = malloc((size_t) n + 1);
    if (out != NULL) {
        memcpy(out, data, (size_t) n);
        out[n] = '\0';
    }
    return out;
}

/* A self-signed certificate for 127.0.0.1, usable as its own CA. */
static int tls_id_make(tls_id *id, long serial)
{
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *name;
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
    FILE *f;
    int fd, rc = -1;

    memset(id, 0, sizeof(*id));
    if (pkey == NULL || x == NULL || kb == NULL || cb == NULL)
        goto cleanup;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, pkey);
    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *) "127.0.0.1",
                               -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
    if (ext == NULL)
        goto cleanup;
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    if (ext == NULL)
        goto cleanup;
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    if (X509_sign(x, pkey, EVP_sha256()) == 0
        || PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL) != 1
        || PEM_write_bio_X509(cb, x) != 1)
        goto cleanup;
    id->key_pem = bio_text(kb);
    id->cert_pem = bio_text(cb);
    snprintf(id->ca_path, sizeof(id->ca_path), "/tmp/tt_ca_XXXXXX");
    fd = mkstemp(id->ca_path);
    if (fd < 0 || id->key_pem == NULL || id->cert_pem == NULL)
        goto cleanup;
    f = fdopen(fd, "w");
    if (f == NULL) {
        close(fd);
        goto cleanup;
    }
    fputs(id->cert_pem, f);
    fclose(f);
    rc = 0;
cleanup:
    BIO_free(kb);
    BIO_free(cb);
    X509_free(x);
    EVP_PKEY_free(pkey);
    return rc;
}

static void tls_id_free(tls_id *id)
{
    if (id->ca_path[0] != '\0')
        unlink(id->ca_path);
    free(id->key_pem);
    free(id->cert_pem);
}

static void test_tls(void)
{
    tls_id good, other;
    srv tls;
    fixture f;

    CU_ASSERT_TRUE_FATAL(MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES);
    CU_ASSERT_EQUAL_FATAL(tls_id_make(&good, 1), 0);
    CU_ASSERT_EQUAL_FATAL(tls_id_make(&other, 2), 0);
    CU_ASSERT_EQUAL_FATAL(srv_start(&tls, good.key_pem, good.cert_pem), 0);

    /* Trusted through ca_file: works. */
    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, tls.base, good.ca_path), 0);
    CU_ASSERT_EQUAL(call(&f, "ok", NULL), ACONN_OK);
    fixture_free(&f);

    /* Another CA: refused, and not retried within the call. */
    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, tls.base, other.ca_path), 0);
    CU_ASSERT_EQUAL(call(&f, "ok", NULL), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(f.err.code, "tls_failed");
    CU_ASSERT_EQUAL(f.http.stats.retries, 0);
    fixture_free(&f);

    /* The system store does not know a throwaway CA either. */
    CU_ASSERT_EQUAL_FATAL(fixture_init(&f, tls.base, NULL), 0);
    CU_ASSERT_EQUAL(call(&f, "ok", NULL), ACONN_RETRY);
    CU_ASSERT_STRING_EQUAL(f.err.code, "tls_failed");
    fixture_free(&f);

    CU_ASSERT_EQUAL(tls.hits_ok, 1);
    srv_stop(&tls);
    tls_id_free(&good);
    tls_id_free(&other);
}

int main(void)
{
    static const ts_test tests[] = {
        {"redirect not followed", test_redirect_not_followed},
        {"timeout", test_timeout},
        {"non-JSON, truncated, oversized, 404", test_bad_bodies},
        {"connection refused; cancelled", test_connect_refused_and_cancel},
        {"list follows total_page", test_list_pages},
        {"parallel multipart upload", test_parallel_upload},
        {"TLS: trusted CA, wrong CA, system store", test_tls},
    };

    return http_fixture_run("tt_http on loopback", tests, sizeof tests / sizeof tests[0]);
}
