/*
 * tt_spool_net.h - rewrite a finished spool's add files without the run's
 * opt-outs (tt_optout.h), so each add file holds only identifiers that end
 * up in the audience. Used by tt_spool_finish(); internal to the spool.
 */
#ifndef TT_SPOOL_NET_H
#define TT_SPOOL_NET_H

#include <stddef.h>

#include <aconn/aconn.h>

#include "delivery/tt_optout.h"
#include "delivery/tt_spool.h"

/*
 * Filters every add file of files[0..*n) in place (same path, new bytes,
 * lines and MD5). A file left with no identifier is deleted and dropped from
 * the array (*n shrinks, order kept). Remove files are untouched. Returns
 * ACONN_OK, ACONN_RETRY ("spool_io") or ACONN_ERR_FATAL.
 */
aconn_status tt_spool_net_filter(tt_spool_file *files, size_t *n, const tt_optout *set,
                                 aconn_error *err);

#endif
