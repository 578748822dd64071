/* tt_validate.h - the validate_settings entry point (see aconn.h). */
#ifndef TT_VALIDATE_H
#define TT_VALIDATE_H

#include <aconn/aconn.h>

aconn_validate_settings_fn tt_validate_settings;

#endif
