/*
 * e2e_changes.h - what the programs of profiles whose people and roles
 * change (issue #19) share (test_profile_changes: links and users;
 * test_profile_targets: a target the profile no longer reaches): the
 * authorize steps as a user takes them, the profile's status, and the
 * world's accounts and users read from the sandbox, not from the plugin.
 */
#ifndef E2E_CHANGES_H
#define E2E_CHANGES_H

#include "e2e.h"

#define ACME_US "7212000000000000001"      /* Maya ADMIN; Olivia owns it (BC Acme) */
#define GLOBEX_MAIN "7212000000000000005"  /* Maya as Globex owner; not Olivia */

/* The plugin under test ($TT_PLUGIN). */
const char *pc_plugin(void);

/* hay (may be NULL) contains needle. */
int pc_has(const char *hay, const char *needle);

/* connector-host with the fixture's options (stderr shown under E2E_VERBOSE). */
void pc_run(e2e *e, e2e_out *o, const char *const *args);

/* The i-th user of the world. */
const char *pc_world_user(e2e *e, size_t i, const char *field);

/* authorize --profile: the URL to open (caller frees). */
char *pc_begin(e2e *e, const char *profile);

/* The consent page, logged in as user_id: the redirect (caller frees). */
char *pc_consent_as(e2e *e, const char *url, const char *user_id);

/* authorize --callback cb, with --switch-user when switch_user. */
void pc_complete(e2e *e, const char *profile, const char *cb, int switch_user,
                 e2e_out *o);

/* authorize --status: the profile status JSON (caller puts), or NULL. */
json_object *pc_status_of(e2e *e, const char *profile, int *exit_code);

/* The entry of list (an array of objects with advertiser_id) for adv. */
json_object *pc_entry_for(json_object *root, const char *list, const char *adv);

/* adv has an entry in list. */
int pc_lists_account(json_object *status, const char *list, const char *adv);

#endif
