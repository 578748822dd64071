/*
 * fz_manifest.c - manifest documents: json-c parsing plus the manifest
 * checks of fz_manifest_check.c.
 *
 * Input: a manifest document (exactly `size` bytes, no NUL terminator).
 *
 * Checks: the plugin's own manifest passes (so the checker is not
 * vacuous); a verdict always has a reason when negative; a valid manifest
 * stays valid after json-c prints it back out.
 */
#include <config.h>

#include "fz.h"

#include <string.h>

#include <json-c/json.h>

#include "fz_manifest_check.h"
#include "settings/tt_manifest.h"

int fz_manifest(const uint8_t *data, size_t size)
{
    char why[256];
    json_tokener *tok;
    json_object *m;
    const char *again;
    int r, rc = 0;

    if (fz_manifest_check(tt_manifest_text, strlen(tt_manifest_text), why, sizeof(why)) != 0)
        return 90;
    r = fz_manifest_check((const char *) data, size, why, sizeof(why));
    if (r != 0 && r != -1)
        return 91;
    if (r == -1)
        return why[0] != '\0' ? 0 : 92;
    /* Printing and re-reading must not change the verdict. */
    tok = json_tokener_new();
    if (tok == NULL)
        return 0;
    m = json_tokener_parse_ex(tok, (const char *) data, (int) size);
    json_tokener_free(tok);
    if (m == NULL)
        return 93;   /* checked valid, yet json-c cannot read it again */
    again = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN);
    if (again == NULL || fz_manifest_check(again, strlen(again), why, sizeof(why)) != 0)
        rc = 94;
    json_object_put(m);
    return rc;
}
