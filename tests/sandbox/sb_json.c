/* sb_json.c: request field readers that enforce TikTok's yml schemas and
 * answer violations the way TikTok does (code 40002, message naming the
 * field). Ids may come as strings or JSON integers: TikTok converts both
 * to int64. */
#include "sb.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sb_is_id(const char *s)
{
    size_t n = 0;

    if (s == NULL || *s == '\0') {
        return false;
    }
    for (; s[n] != '\0'; n++) {
        if (!isdigit((unsigned char)s[n])) {
            return false;
        }
    }
    return n < 20;
}

int sb_utf8_chars(const char *s, size_t *out)
{
    size_t n = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        n += (*p & 0xC0) != 0x80;
    }
    *out = n;
    return 0;
}

static int missing(sb_req *req, const char *key, bool required)
{
    if (required) {
        sb_fail(req, 40002, "%s: Missing data for required field.", key);
        return -1;
    }
    return 0;
}

/* Copies an id given as string or integer; 0 ok, -1 bad. */
static int id_value(json_object *v, char *buf, size_t len)
{
    if (json_object_is_type(v, json_type_int)) {
        int64_t n = json_object_get_int64(v);
        if (n < 0) {
            return -1;
        }
        snprintf(buf, len, "%" PRId64, n);
        return 0;
    }
    if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        if (!sb_is_id(s) || strlen(s) >= len) {
            return -1;
        }
        snprintf(buf, len, "%s", s);
        return 0;
    }
    return -1;
}

int sb_j_id(sb_req *req, json_object *obj, const char *key, char *buf,
            size_t len, bool required)
{
    json_object *v = NULL;

    if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL) {
        return missing(req, key, required);
    }
    if (id_value(v, buf, len) != 0) {
        sb_fail(req, 40002, "%s: Not a valid ID (expected a numeric string).", key);
        return -1;
    }
    return 1;
}

int sb_j_str(sb_req *req, json_object *obj, const char *key,
             const char **out, size_t min_chars, size_t max_chars,
             bool required)
{
    json_object *v = NULL;
    size_t n;

    if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL) {
        return missing(req, key, required);
    }
    if (!json_object_is_type(v, json_type_string)) {
        sb_fail(req, 40002, "%s: Not a valid string.", key);
        return -1;
    }
    *out = json_object_get_string(v);
    sb_utf8_chars(*out, &n);
    if (n < min_chars || n > max_chars) {
        sb_fail(req, 40002, "%s: Length must be between %zu and %zu.", key,
                min_chars, max_chars);
        return -1;
    }
    return 1;
}

int sb_j_int(sb_req *req, json_object *obj, const char *key, long *out,
             long min, long max, bool required)
{
    json_object *v = NULL;
    int64_t n;

    if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL) {
        return missing(req, key, required);
    }
    if (json_object_is_type(v, json_type_int)) {
        n = json_object_get_int64(v);
    } else if (json_object_is_type(v, json_type_string)
               && sb_is_id(json_object_get_string(v))) {
        n = strtoll(json_object_get_string(v), NULL, 10);
    } else {
        sb_fail(req, 40002, "%s: Not a valid integer.", key);
        return -1;
    }
    if (n < min || n > max) {
        sb_fail(req, 40002, "%s: Must be greater than or equal to %ld and less "
                "than or equal to %ld.", key, min, max);
        return -1;
    }
    *out = (long)n;
    return 1;
}

static int id_array(sb_req *req, const char *key, json_object *v,
                    json_object **out, size_t min_items, size_t max_items,
                    size_t item_len)
{
    json_object *res = NULL;
    size_t n;

    if (!json_object_is_type(v, json_type_array)) {
        sb_fail(req, 40002, "%s: Not a valid list.", key);
        return -1;
    }
    n = json_object_array_length(v);
    if (n < min_items || n > max_items) {
        sb_fail(req, 40002, "%s: Length must be between %zu and %zu.", key,
                min_items, max_items);
        return -1;
    }
    res = json_object_new_array();
    if (res == NULL) {
        sb_fail(req, 50000, "System error: out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(v, i);
        char buf[SB_ID_MAX];
        if (item_len > 0) {
            /* file_paths: opaque strings of exactly item_len chars. */
            if (!json_object_is_type(it, json_type_string)
                || (size_t)json_object_get_string_len(it) != item_len) {
                sb_fail(req, 40002, "%s.%zu: Length must be between %zu and %zu.",
                        key, i, item_len, item_len);
                json_object_put(res);
                return -1;
            }
            json_object_array_add(res, json_object_new_string(json_object_get_string(it)));
            continue;
        }
        if (id_value(it, buf, sizeof buf) != 0) {
            sb_fail(req, 40002, "%s.%zu: Not a valid ID (expected a numeric string).",
                    key, i);
            json_object_put(res);
            return -1;
        }
        json_object_array_add(res, json_object_new_string(buf));
    }
    *out = res;
    return 1;
}

int sb_j_id_array(sb_req *req, json_object *obj, const char *key,
                  json_object **out, size_t min_items, size_t max_items,
                  size_t item_len, bool required)
{
    json_object *v = NULL;

    if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL) {
        return missing(req, key, required);
    }
    return id_array(req, key, v, out, min_items, max_items, item_len);
}

int sb_q_id_array(sb_req *req, const char *key, json_object **out,
                  size_t min_items, size_t max_items, bool required)
{
    const char *s = sb_query(req, key);
    json_object *v;
    int rc;

    if (s == NULL || *s == '\0') {
        return missing(req, key, required);
    }
    v = json_tokener_parse(s);
    if (v == NULL || !json_object_is_type(v, json_type_array)) {
        json_object_put(v);
        sb_fail(req, 40002, "%s: Not a valid list; send a JSON array such as "
                "[\"123\"].", key);
        return -1;
    }
    rc = id_array(req, key, v, out, min_items, max_items, 0);
    json_object_put(v);
    return rc;
}

int sb_q_int(sb_req *req, const char *key, long *out, long def, long min,
             long max)
{
    const char *s = sb_query(req, key);
    char *end;
    long n;

    if (s == NULL || *s == '\0') {
        *out = def;
        return 0;
    }
    errno = 0;
    n = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0') {
        sb_fail(req, 40002, "%s: Not a valid integer.", key);
        return -1;
    }
    if (n < min || n > max) {
        sb_fail(req, 40002, "%s: Must be greater than or equal to %ld and less "
                "than or equal to %ld.", key, min, max);
        return -1;
    }
    *out = n;
    return 1;
}

int sb_q_id(sb_req *req, const char *key, const char **out, bool required)
{
    const char *s = sb_query(req, key);

    if (s == NULL || *s == '\0') {
        return missing(req, key, required);
    }
    if (!sb_is_id(s)) {
        sb_fail(req, 40002, "%s: Not a valid ID (expected a numeric string).", key);
        return -1;
    }
    *out = s;
    return 1;
}

json_object *sb_page_info(long page, long page_size, size_t total)
{
    json_object *o = json_object_new_object();

    if (o == NULL) {
        return NULL;
    }
    json_object_object_add(o, "page", json_object_new_int64(page));
    json_object_object_add(o, "page_size", json_object_new_int64(page_size));
    json_object_object_add(o, "total_number", json_object_new_int64((int64_t)total));
    json_object_object_add(o, "total_page",
                           json_object_new_int64((int64_t)((total + (size_t)page_size - 1)
                                                           / (size_t)page_size)));
    return o;
}
