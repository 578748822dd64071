/*
 * ch_plugin.c - the plugin loader: libltdl, the entry symbol, and the ABI
 * checks a host MUST make before calling anything else.
 */
#define _DEFAULT_SOURCE 1 /* realpath() */
#include <config.h>

#include <json-c/json.h>

#include "ch_plugin.h"
#include "ch_util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A plugin id names a namespace in secrets.json ("<id>/<name>") and in the
   state store, so it must be short and contain no '/'. */
static int ch_plugin_id_ok(const char *id)
{
    size_t n = 0;

    if (id == NULL || *id == '\0')
        return 0;
    for (; id[n] != '\0'; n++) {
        char c = id[n];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                 || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        if (!ok || n >= 64)
            return 0;
    }
    return 1;
}

static int ch_plugin_check(ch_plugin *p, const char *spec, char *err, size_t errlen)
{
    const aconn_plugin *d = p->desc;
    char missing[160] = "";

    if (d == NULL) {
        ch_errf(err, errlen, "plugin %s returned no descriptor from %s()",
                spec, ACONN_ENTRY_SYMBOL);
        return -1;
    }
    if (d->struct_size < offsetof(aconn_plugin, abi_minor) + sizeof(d->abi_minor)) {
        ch_errf(err, errlen, "plugin %s has a descriptor of %u bytes, too small to "
                "carry an ABI version; rebuild it against aconn.h %d.x",
                spec, (unsigned) d->struct_size, ACONN_ABI_MAJOR);
        return -1;
    }
    if (d->abi_major != ACONN_ABI_MAJOR) {
        ch_errf(err, errlen, "plugin %s was built for connector ABI %u.%u; this host "
                "implements ABI %d.%d; rebuild the plugin against aconn.h %d.x",
                spec, (unsigned) d->abi_major, (unsigned) d->abi_minor,
                ACONN_ABI_MAJOR, ACONN_ABI_MINOR, ACONN_ABI_MAJOR);
        return -1;
    }
    if (!ACONN_HAS(d, aconn_plugin, teardown)) {
        ch_errf(err, errlen, "plugin %s has a descriptor of %u bytes; ABI %d.0 needs "
                "at least %zu; rebuild it against aconn.h %d.x", spec,
                (unsigned) d->struct_size, ACONN_ABI_MAJOR,
                offsetof(aconn_plugin, teardown) + sizeof(d->teardown), ACONN_ABI_MAJOR);
        return -1;
    }
    {
        const struct {
            const char *name;
            int present;
        } need[] = {
            { "describe", d->describe != NULL },
            { "validate_settings", d->validate_settings != NULL },
            { "authorize", d->authorize != NULL },
            { "deliver_batch", d->deliver_batch != NULL },
            { "teardown", d->teardown != NULL },
        };
        size_t i;
        for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
            if (need[i].present)
                continue;
            if (missing[0] != '\0')
                strncat(missing, ", ", sizeof(missing) - strlen(missing) - 1);
            strncat(missing, need[i].name, sizeof(missing) - strlen(missing) - 1);
        }
    }
    if (missing[0] != '\0') {
        ch_errf(err, errlen, "plugin %s does not implement %s, required by connector "
                "ABI %d.0", spec, missing, ACONN_ABI_MAJOR);
        return -1;
    }
    p->info = d->describe();
    if (p->info == NULL || !ACONN_HAS(p->info, aconn_info, manifest_json)) {
        ch_errf(err, errlen, "plugin %s: describe() returned no aconn_info or one too "
                "small for ABI %d.0", spec, ACONN_ABI_MAJOR);
        return -1;
    }
    if (!ch_plugin_id_ok(p->info->id)) {
        ch_errf(err, errlen, "plugin %s: describe() gave an invalid id (want 1 to 64 "
                "of [A-Za-z0-9._-])", spec);
        return -1;
    }
    if (p->info->manifest_json == NULL) {
        ch_errf(err, errlen, "plugin %s: describe() gave no manifest_json", spec);
        return -1;
    }
    return 0;
}

/* Why libltdl could not open `path` (its own words are often just "file
   not found"): where the host looked, and whether the file is there, is a
   shared object or a libtool archive. */
static void ch_plugin_explain(const char *spec, const char *path, const char *search_dir,
                              const char *why, char *err, size_t errlen)
{
    unsigned char magic[4] = { 0 };
    FILE *f;
    size_t n = 0;

    if (why == NULL)
        why = "unknown libltdl error";
    if (strchr(spec, '/') == NULL) {
        ch_errf(err, errlen, "cannot load plugin %s: no module %s (.la or .so) in %s nor "
                "on the library path (%s); install it there (make install), or give the "
                "path of its .la or .so", spec, spec,
                search_dir != NULL ? search_dir : "the connector directory", why);
        return;
    }
    if ((f = fopen(path, "rb")) != NULL) {
        n = fread(magic, 1, sizeof(magic), f);
        fclose(f);
    }
    if (n == 4 && memcmp(magic, "\177ELF", 4) == 0)
        ch_errf(err, errlen, "cannot load plugin %s: it is a shared object, but the "
                "loader refused it: %s", path, why);
    else if (n >= 2 && magic[0] == '#')
        ch_errf(err, errlen, "cannot load plugin %s: the library this libtool archive "
                "names could not be loaded (%s); rebuild it, or give the path of the "
                ".so", path, why);
    else
        ch_errf(err, errlen, "cannot load plugin %s: the file is not a shared object "
                "(no ELF header) nor a libtool .la; give a connector's .la or .so", path);
}

/* out->path for spec: a bare name as given, searched in the connector
   directory; a path used as given, made absolute so a stored connection
   finds it again. 0, or -1 with err. */
static int ch_plugin_resolve(const char *spec, const char *search_dir, ch_plugin *out,
                             char *err, size_t errlen)
{
    char resolved[PATH_MAX];

    if (strchr(spec, '/') == NULL) {
        if (search_dir != NULL && *search_dir != '\0' && lt_dladdsearchdir(search_dir) != 0) {
            ch_errf(err, errlen, "cannot search %s for plugins: %s", search_dir,
                    lt_dlerror());
            return -1;
        }
        out->path = strdup(spec);
    } else if (realpath(spec, resolved) != NULL) {
        out->path = strdup(resolved);
    } else {
        ch_errf(err, errlen, "cannot load plugin %s: no such file (give the path of "
                "its .la or .so, or a module name from %s)", spec,
                search_dir != NULL ? search_dir : "the connector directory");
        return -1;
    }
    if (out->path == NULL) {
        ch_errf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Opens out->path resident (the plugin may hold libcurl/OpenSSL state that
   must never be unmapped while the process lives) into out->handle. 0, or
   -1 with err. */
static int ch_plugin_open(const char *spec, const char *search_dir, ch_plugin *out,
                          char *err, size_t errlen)
{
    lt_dladvise advise;
    int rc = -1;

    if (lt_dladvise_init(&advise) != 0) {
        ch_errf(err, errlen, "libltdl: %s", lt_dlerror());
        return -1;
    }
    if (lt_dladvise_ext(&advise) != 0 || lt_dladvise_resident(&advise) != 0) {
        ch_errf(err, errlen, "libltdl: %s", lt_dlerror());
        goto cleanup;
    }
    out->handle = lt_dlopenadvise(out->path, advise);
    if (out->handle == NULL && strchr(spec, '/') != NULL) {
        /* libltdl's extension search rejects some real paths (a versioned
           libfoo.so.1.2): open the file itself, still resident. */
        lt_dladvise plain;
        if (lt_dladvise_init(&plain) == 0) {
            if (lt_dladvise_resident(&plain) == 0)
                out->handle = lt_dlopenadvise(out->path, plain);
            lt_dladvise_destroy(&plain);
        }
    }
    if (out->handle == NULL) {
        const char *why = lt_dlerror();
        ch_plugin_explain(spec, out->path, search_dir, why, err, errlen);
        goto cleanup;
    }
    rc = 0;
cleanup:
    lt_dladvise_destroy(&advise);
    return rc;
}

int ch_plugin_load(const char *spec, const char *search_dir, ch_plugin *out,
                   char *err, size_t errlen)
{
    int rc = -1;
    aconn_entry_fn *entry = NULL;

    memset(out, 0, sizeof(*out));
    if (spec == NULL || *spec == '\0') {
        ch_errf(err, errlen, "no plugin given: pass --plugin PATH-OR-NAME");
        goto cleanup;
    }
    /* libltdl stays initialised for the life of the process: lt_dlexit()
       drops resident handles from its list without freeing them, and a
       resident plugin is never unloaded anyway. */
    if (lt_dlinit() != 0) {
        ch_errf(err, errlen, "cannot initialise libltdl: %s", lt_dlerror());
        goto cleanup;
    }
    if (ch_plugin_resolve(spec, search_dir, out, err, errlen) != 0
        || ch_plugin_open(spec, search_dir, out, err, errlen) != 0)
        goto cleanup;
    /* dlsym returns an object pointer; the C standard has no conversion to
       a function pointer, so copy the representation (POSIX guarantees it). */
    *(void **) &entry = lt_dlsym(out->handle, ACONN_ENTRY_SYMBOL);
    if (entry == NULL) {
        ch_errf(err, errlen, "plugin %s does not export %s(); it is not a connector "
                "(or was built without ACONN_EXPORT)", spec, ACONN_ENTRY_SYMBOL);
        goto cleanup;
    }
    out->desc = entry(ACONN_ABI_MAJOR, ACONN_ABI_MINOR);
    if (ch_plugin_check(out, spec, err, errlen) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    if (rc != 0) {
        if (out->handle != NULL)
            lt_dlclose(out->handle);
        free(out->path);
        memset(out, 0, sizeof(*out));
    }
    return rc;
}

void ch_plugin_unload(ch_plugin *p)
{
    if (p == NULL || p->handle == NULL)
        return;
    /* Resident: this only drops our reference; the code stays mapped. */
    lt_dlclose(p->handle);
    free(p->path);
    memset(p, 0, sizeof(*p));
}

const char *ch_plugin_id(const ch_plugin *p)
{
    return p->info->id;
}

int64_t ch_plugin_refresh_period_ms(const ch_plugin *p)
{
    json_object *m = json_tokener_parse(p->info->manifest_json), *v = NULL;
    int64_t ms = 0;

    if (m != NULL && json_object_object_get_ex(m, "policy_refresh", &v) &&
        json_object_is_type(v, json_type_string) &&
        ch_iso8601_duration_ms(json_object_get_string(v), &ms) != 0)
        ms = 0;
    json_object_put(m);
    return ms;
}
