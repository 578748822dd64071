/* sb_types.c: TikTok's calculate_type enums. The upload enum
 * (DmpCalculateType) has MAID_* aliases of FIRST_*; the create enum
 * (CalculateType) does not, exactly as in TikTok's yml files. */
#include "sb.h"

#include <string.h>

static const char *const names[SB_T_COUNT] = {
    [SB_T_NONE] = "",
    [SB_T_EMAIL_SHA256] = "EMAIL_SHA256",
    [SB_T_PHONE_SHA256] = "PHONE_SHA256",
    [SB_T_IDFA_SHA256] = "IDFA_SHA256",
    [SB_T_IDFA_MD5] = "IDFA_MD5",
    [SB_T_GAID_SHA256] = "GAID_SHA256",
    [SB_T_GAID_MD5] = "GAID_MD5",
    [SB_T_FIRST_SHA256] = "FIRST_SHA256",
    [SB_T_FIRST_MD5] = "FIRST_MD5",
    [SB_T_MULTIPLE] = "MULTIPLE_TYPES",
};

const char *sb_idtype_name(int type)
{
    if (type <= 0 || type >= SB_T_COUNT) {
        return "";
    }
    return names[type];
}

int sb_idtype_parse_create(const char *s)
{
    if (s == NULL) {
        return 0;
    }
    for (int t = 1; t < SB_T_COUNT; t++) {
        if (strcmp(s, names[t]) == 0) {
            return t;
        }
    }
    return 0;
}

int sb_idtype_parse_upload(const char *s)
{
    if (s != NULL && strcmp(s, "MAID_SHA256") == 0) {
        return SB_T_FIRST_SHA256;
    }
    if (s != NULL && strcmp(s, "MAID_MD5") == 0) {
        return SB_T_FIRST_MD5;
    }
    return sb_idtype_parse_create(s);
}

size_t sb_idtype_len(int type)
{
    switch (type) {
    case SB_T_IDFA_MD5:
    case SB_T_GAID_MD5:
    case SB_T_FIRST_MD5:
        return 16;
    default:
        return 32;
    }
}

const char *sb_idtype_upload_enum(void)
{
    return "EMAIL_SHA256, FIRST_MD5, FIRST_SHA256, GAID_MD5, GAID_SHA256, "
           "IDFA_MD5, IDFA_SHA256, MAID_MD5, MAID_SHA256, MULTIPLE_TYPES, "
           "PHONE_SHA256";
}

const char *sb_idtype_create_enum(void)
{
    return "EMAIL_SHA256, FIRST_MD5, FIRST_SHA256, GAID_MD5, GAID_SHA256, "
           "IDFA_MD5, IDFA_SHA256, MULTIPLE_TYPES, PHONE_SHA256";
}
