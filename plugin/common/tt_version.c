/* tt_version.c - the plugin's release, from configure. */
#include <config.h>

#include "common/tt_version.h"

const char *tt_version(void)
{
    return PACKAGE_VERSION;
}
