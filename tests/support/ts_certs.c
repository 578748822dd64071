/* ts_certs.c: a throwaway CA and a server certificate for 127.0.0.1 and
 * localhost, made with the openssl command ($TT_OPENSSL) so tests run with
 * TLS verification on, exactly as production does. EC P-256 keys keep it
 * fast. */
#include "ts.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPENSSL_TIMEOUT_MS 30000

static int run_openssl(const char *const argv[])
{
    int code = -1;
    char *err = NULL;

    if (ts_run_capture(argv, NULL, OPENSSL_TIMEOUT_MS, &code, NULL, &err) != 0) {
        free(err);
        return -1;
    }
    if (code != 0) {
        fprintf(stderr, "ts: %s %s failed (exit %d): %s\n", argv[0], argv[1], code,
                err != NULL ? err : "");
        free(err);
        return -1;
    }
    free(err);
    return 0;
}

static int make_ca(const char *openssl, const char *key, const char *pem, const char *cn)
{
    char subj[128];
    const char *argv[] = {
        openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", key, "-out", pem, "-days", "2", "-subj", subj,
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign", NULL,
    };

    snprintf(subj, sizeof subj, "/CN=%s", cn);
    return run_openssl(argv);
}

static int path_in(char *dst, const char *dir, const char *name)
{
    if ((size_t)snprintf(dst, TS_PATH_MAX, "%s/%s", dir, name) >= TS_PATH_MAX) {
        fprintf(stderr, "ts: path too long under %s\n", dir);
        return -1;
    }
    return 0;
}

int ts_certs_make(const char *dir, ts_certs *out)
{
    const char *openssl = getenv("TT_OPENSSL");
    char ca_key[TS_PATH_MAX], csr[TS_PATH_MAX], ext[TS_PATH_MAX], other_key[TS_PATH_MAX];
    char serial[40];
    unsigned char rnd[8];
    FILE *f;

    if (openssl == NULL || *openssl == '\0') {
        fprintf(stderr, "ts: TT_OPENSSL is not set (run through make check, or export "
                "TT_OPENSSL=/usr/bin/openssl)\n");
        return -1;
    }
    memset(out, 0, sizeof *out);
    if (path_in(out->ca_pem, dir, "ca.pem") != 0 || path_in(ca_key, dir, "ca.key") != 0
        || path_in(out->server_pem, dir, "server.pem") != 0
        || path_in(out->server_key, dir, "server.key") != 0
        || path_in(out->other_ca_pem, dir, "other-ca.pem") != 0
        || path_in(other_key, dir, "other-ca.key") != 0
        || path_in(csr, dir, "server.csr") != 0 || path_in(ext, dir, "server.ext") != 0) {
        return -1;
    }
    if (make_ca(openssl, ca_key, out->ca_pem, "tiktok-sandbox test CA") != 0
        || make_ca(openssl, other_key, out->other_ca_pem, "unrelated test CA") != 0) {
        return -1;
    }
    f = fopen(ext, "w");
    if (f == NULL) {
        fprintf(stderr, "ts: cannot write %s\n", ext);
        return -1;
    }
    fputs("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
          "basicConstraints=CA:FALSE\n"
          "keyUsage=critical,digitalSignature,keyEncipherment\n"
          "extendedKeyUsage=serverAuth\n", f);
    if (fclose(f) != 0) {
        return -1;
    }
    if (RAND_bytes(rnd, sizeof rnd) != 1) {
        return -1;
    }
    snprintf(serial, sizeof serial, "0x%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0] & 0x7f,
             rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    {
        const char *req[] = {
            openssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", out->server_key, "-out", csr, "-subj", "/CN=127.0.0.1", NULL,
        };
        const char *sign[] = {
            openssl, "x509", "-req", "-in", csr, "-CA", out->ca_pem, "-CAkey", ca_key,
            "-set_serial", serial, "-out", out->server_pem, "-days", "2", "-extfile", ext, NULL,
        };
        if (run_openssl(req) != 0 || run_openssl(sign) != 0) {
            return -1;
        }
    }
    return 0;
}
