/* tt_version.h - the plugin's identity, shared by the descriptor and the manifest. */
#ifndef TT_VERSION_H
#define TT_VERSION_H

#define TT_PLUGIN_ID "tiktok-audience"
#define TT_PLUGIN_NAME "TikTok audience connector"

const char *tt_version(void);

#endif
