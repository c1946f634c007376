/*
 * mithril/err.h - the one error enum of libmithril and its programs.
 *
 * Every fallible call returns an mtl_err. MTL_OK is 0; codes are append-only
 * (never renumber). mithril_strerror() gives a static text for a code; the
 * failing call also records a detail message for the calling thread, read with
 * mtl_err_detail(), that names what was wrong ("sigma: expected 48 bytes").
 */
#ifndef MITHRIL_ERR_H
#define MITHRIL_ERR_H

#include "mithril/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    MTL_OK = 0,
    MTL_ERR_NOMEM = 1,          /* allocation failed */
    MTL_ERR_INVALID_ARG = 2,    /* caller passed a bad argument */
    MTL_ERR_BAD_ENCODING = 3,   /* bytes/hex/JSON could not be decoded */
    MTL_ERR_NOT_IN_GROUP = 4,   /* a curve point is not in the prime-order subgroup */
    MTL_ERR_VERIFY_FAIL = 5,    /* a signature or proof did not verify */
    MTL_ERR_NOT_ENOUGH_SIGS = 6,/* quorum (k) not reached */
    MTL_ERR_IO = 7,             /* file or stream I/O failed */
    MTL_ERR_HTTP = 8,           /* HTTP transport or status failure */
    MTL_ERR_DB = 9,             /* SQLite failure */
    MTL_ERR_NOT_FOUND = 10,     /* requested object does not exist */
    MTL_ERR_BUFFER_TOO_SMALL = 11, /* caller's buffer cannot hold the output */
    MTL_ERR_TOO_BIG = 12,       /* input larger than the allowed cap */
    MTL_ERR_INTEGRITY = 13,     /* a hash/digest does not match what was certified */
    MTL_ERR_CHAIN = 14,         /* certificate chain rule broken */
    MTL_ERR_STATE = 15,         /* call not valid in the current state */
    MTL_ERR_CONFIG = 16,        /* bad configuration value */
    MTL_ERR_EXTERNAL = 17,      /* an external program failed or printed garbage */
    MTL_ERR_INTERNAL = 18,      /* invariant broken: a bug */
    MTL_ERR_INELIGIBLE = 19,    /* signer won no lottery for this message */
    MTL_ERR_CONFLICT = 20,      /* duplicate or conflicting object */
    MTL_ERR__COUNT
} mtl_err;

/* Static English text for a code; never NULL. */
MTL_API const char *mithril_strerror(mtl_err err);
/* Same as mithril_strerror (the short prefix of the public API). */
MTL_API const char *mtl_strerror(mtl_err err);

/* Detail of the last failure on this thread ("" when none). Valid until the
 * next libmithril call on this thread. */
MTL_API const char *mtl_err_detail(void);

/* Clear the detail of this thread. */
MTL_API void mtl_err_clear(void);

#ifdef __cplusplus
}
#endif
#endif
