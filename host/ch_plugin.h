/*
 * ch_plugin.h - loads a connector plugin with libltdl and negotiates the
 * ABI (include/aconn/aconn.h, section 1 and 7).
 */
#ifndef CH_PLUGIN_H
#define CH_PLUGIN_H

#include <aconn/aconn.h>

#include <ltdl.h>

typedef struct ch_plugin {
    lt_dlhandle handle;
    const aconn_plugin *desc;   /* static in the plugin */
    const aconn_info *info;     /* static in the plugin */
    char *path;                 /* the spec as loaded: absolute path of a
                                   file, or the bare module name */
} ch_plugin;

/*
 * The plugin's policy refresh period from its manifest ("policy_refresh",
 * an ISO 8601 duration such as "P540D"): after that long since the last
 * full refresh, the next run carries the whole dataset and the flag
 * ACONN_BATCH_FULL_REFRESH. 0 when the manifest names none.
 */
int64_t ch_plugin_refresh_period_ms(const ch_plugin *p);

/*
 * Loads `spec`: a path to a .la or .so (an uninstalled .la in a build tree
 * works), or a bare module name searched in `search_dir` (NULL: none).
 * The module is made resident. Refuses a plugin built for another ABI
 * major, one whose descriptor is too small or lacks an entry point, and one
 * whose describe() gives no usable id.
 * Returns 0, or -1 with a message in err (exit code CH_EXIT_PLUGIN).
 */
int ch_plugin_load(const char *spec, const char *search_dir, ch_plugin *out,
                   char *err, size_t errlen);

/* Closes the handle (the module stays resident) and frees *p. */
void ch_plugin_unload(ch_plugin *p);

/* The plugin's id: namespaces its secrets and state. */
const char *ch_plugin_id(const ch_plugin *p);

#endif /* CH_PLUGIN_H */
