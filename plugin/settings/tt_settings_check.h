/*
 * tt_settings_check.h - the per-field checks of the quick settings,
 * shared by tt_settings.c (the rules between fields, the struct, the
 * comparison) and tt_settings_check.c (each field's own shape). Private
 * to plugin/settings.
 */
#ifndef TT_SETTINGS_CHECK_H
#define TT_SETTINGS_CHECK_H

#include <aconn/aconn.h>

#include <json-c/json.h>

/* Fields in the order they are checked and reported. */
enum {
    F_CONNECTION_TYPE, F_AUDIENCE_NAME, F_CREATE_NEW_FOR, F_EXISTING_AUDIENCES,
    F_HISTORICAL, F_DELIVER_ALL, F_RETENTION, F_CLEAR_TEXT, F_PER_TYPE, F_COUNT
};

extern const char *const tt_settings_field_names[F_COUNT];

typedef struct tt_settings_check {
    aconn_error_list *errors;
    unsigned nerr;
} tt_settings_check;

/* Adds one INVALID error for field (message from fmt) and counts it. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
void tt_settings_report(tt_settings_check *c, const char *field, const char *code,
                        const char *fmt, ...);

/* Parses strictly; 0 (*out may be NULL: the JSON null), -1 after
   reporting bad JSON, -2 out of memory. */
int tt_settings_parse_json(tt_settings_check *c, const char *text, json_object **out);

/* "a string", "an array", ... for messages. */
const char *tt_settings_type_label(json_object *v);

/* Each field's shape; each reports what is wrong. */
void tt_settings_check_name(tt_settings_check *c, json_object *v);
void tt_settings_check_id_list(tt_settings_check *c, json_object *arr, const char *path,
                               const char *what, const char *empty_fix);
void tt_settings_check_existing(tt_settings_check *c, json_object *obj,
                                json_object *create_new_for);
/* 1 and *out when v is a boolean, else 0 (reported). */
int tt_settings_check_bool(tt_settings_check *c, json_object *v, int field, int *out);
void tt_settings_check_retention(tt_settings_check *c, json_object *v, int *out);

#endif /* TT_SETTINGS_CHECK_H */
