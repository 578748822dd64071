/*
 * tt_json.h - reading TikTok's answers and building requests with json-c.
 *
 * Readers are lenient in the way TikTok's answers need: IDs are 64-bit
 * integers that TikTok sends as JSON numbers or as strings, so a string
 * reader also accepts an integer and an integer reader a numeric string.
 * Setters report allocation failure (-1) instead of ignoring it, and take
 * ownership of what they are given even when they fail.
 */
#ifndef TT_JSON_H
#define TT_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* A string or integer value as a new string (free()); NULL for any other
   type (NULL included) or out of memory. */
char *tt_json_text(json_object *v);

/* A string or integer member as a new string (free()); NULL when absent,
   of another type, or out of memory. obj may be NULL. */
char *tt_json_str(json_object *obj, const char *key);

/* An integer or numeric-string member; fallback when absent or not one. */
int64_t tt_json_int(json_object *obj, const char *key, int64_t fallback);

/* A boolean (or integer) member as 0/1; 0 when absent. */
int tt_json_bool(json_object *obj, const char *key);

/* An array member, borrowed; NULL when absent or not an array. */
json_object *tt_json_array(json_object *obj, const char *key);

/* A new array of n strings (NULL items become ""); NULL when out of memory. */
json_object *tt_json_string_array(const char *const *items, size_t n);

/* obj[key] = value (a NULL value sets ""); 0, or -1 when out of memory. */
int tt_json_set_str(json_object *obj, const char *key, const char *value);

/* Appends the string s to arr; 0, or -1 (nothing added) when out of memory. */
int tt_json_push_str(json_object *arr, const char *s);

/* obj[key] = value, taking value; -1 when value is NULL (a failed
   constructor) or the add fails, value put in both cases. */
int tt_json_set(json_object *obj, const char *key, json_object *value);

#endif
