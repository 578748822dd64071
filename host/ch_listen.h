/*
 * ch_listen.h - `authorize --listen [HOST:]PORT`: the host serves the OAuth
 * redirect URI itself on a loopback address (RFC 8252, section 7.3, as
 * gh, gcloud and az do), so the flow finishes when the browser comes back
 * instead of needing the redirect URL pasted into --callback.
 *
 * Loopback only: the listening socket is bound to 127.0.0.0/8, ::1 or
 * localhost (every address it resolves to must be loopback), so nothing
 * on the network can reach it. HTTP is parsed by libmicrohttpd, in this
 * thread (no server thread is left running).
 */
#ifndef CH_LISTEN_H
#define CH_LISTEN_H

#include "ch_cli.h"

/* Seconds authorize --listen waits for the browser by default. */
#define CH_LISTEN_TIMEOUT_S 300

/* One authorize() call of the plugin for cli->a.profile, printed and
   recorded as `authorize` does (ch_commands.c); *perr gets the plugin's
   error, whose message the browser is shown. Returns the exit code. */
int ch_authorize_call(ch_cli *cli, uint32_t phase, const char *callback, aconn_error *perr);

/* The whole command, after authorize's setup (plugin, home, profile); returns the exit code (75 after the timeout or a
   signal: the authorization link stays valid and can be used again). */
int ch_listen_authorize(ch_cli *cli);

#endif /* CH_LISTEN_H */
