/* err.c - error texts and the per-thread detail message. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common_int.h"

static const char *const err_text[MTL_ERR__COUNT] = {
    [MTL_OK] = "success",
    [MTL_ERR_NOMEM] = "out of memory",
    [MTL_ERR_INVALID_ARG] = "invalid argument",
    [MTL_ERR_BAD_ENCODING] = "bad encoding",
    [MTL_ERR_NOT_IN_GROUP] = "point not in the prime-order subgroup",
    [MTL_ERR_VERIFY_FAIL] = "verification failed",
    [MTL_ERR_NOT_ENOUGH_SIGS] = "not enough signatures for the quorum",
    [MTL_ERR_IO] = "I/O error",
    [MTL_ERR_HTTP] = "HTTP error",
    [MTL_ERR_DB] = "database error",
    [MTL_ERR_NOT_FOUND] = "not found",
    [MTL_ERR_BUFFER_TOO_SMALL] = "buffer too small",
    [MTL_ERR_TOO_BIG] = "input too big",
    [MTL_ERR_INTEGRITY] = "integrity check failed",
    [MTL_ERR_CHAIN] = "certificate chain invalid",
    [MTL_ERR_STATE] = "invalid state for this operation",
    [MTL_ERR_CONFIG] = "invalid configuration",
    [MTL_ERR_EXTERNAL] = "external program failed",
    [MTL_ERR_INTERNAL] = "internal error",
    [MTL_ERR_INELIGIBLE] = "signer not eligible (no lottery won)",
    [MTL_ERR_CONFLICT] = "conflict with an existing object",
};

const char *mithril_strerror(mtl_err err)
{
    if ((int)err < 0 || err >= MTL_ERR__COUNT || !err_text[err])
        return "unknown error";
    return err_text[err];
}

const char *mtl_strerror(mtl_err err)
{
    return mithril_strerror(err);
}

static _Thread_local char detail[1024];

const char *mtl_err_detail(void)
{
    return detail;
}

void mtl_err_clear(void)
{
    detail[0] = 0;
}

mtl_err mtl_seterr(mtl_err err, const char *fmt, ...)
{
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
    }
    return err;
}

mtl_err mtl_err_wrap(mtl_err err, const char *fmt, ...)
{
    char prefix[512], old[sizeof(detail)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, detail, sizeof(old));
    int n = old[0] ? snprintf(detail, sizeof(detail), "%s: %s", prefix, old)
                   : snprintf(detail, sizeof(detail), "%s", prefix);
    if (n >= (int)sizeof(detail)) /* a detail is bounded: show that it was cut */
        memcpy(detail + sizeof(detail) - 4, "...", 4);
    return err;
}

void mtl_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "libmithril: assertion failed: %s (%s:%d)\n", expr, file, line);
    abort();
}
