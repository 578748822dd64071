/*
 * fuzz_main.c - the libFuzzer entry of one target. Built once per target
 * with -DFZ_ENTRY=fz_<target>; a broken promise (non-zero from the entry)
 * aborts so libFuzzer saves the input as a crash artifact.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "fz.h"

#ifndef FZ_ENTRY
#error "build with -DFZ_ENTRY=fz_<target>"
#endif

#define FZ_STR2(x) #x
#define FZ_STR(x) FZ_STR2(x)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int rc = FZ_ENTRY(data, size);

    if (rc != 0) {
        fprintf(stderr, "%s: broken promise #%d\n", FZ_STR(FZ_ENTRY), rc);
        abort();
    }
    return 0;
}
