/*
 * common_int.h - internals shared by every libmithril module (not installed).
 */
#ifndef MTL_COMMON_INT_H
#define MTL_COMMON_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mithril/err.h"
#include "mithril/util.h"

/* Record a detail message for this thread and return err, so callers write
 *   return mtl_seterr(MTL_ERR_BAD_ENCODING, "sigma: expected 48 bytes, got %zu", n);
 * The detail of an earlier, deeper failure is kept when fmt is NULL. */
mtl_err mtl_seterr(mtl_err err, const char *fmt, ...) MTL_PRINTF(2, 3);
/* Prefix the current detail with context: "certificate abc: <old detail>". */
mtl_err mtl_err_wrap(mtl_err err, const char *fmt, ...) MTL_PRINTF(2, 3);

/* Early-return helpers (zstd's RETURN_ERROR_IF / FORWARD_IF_ERROR). */
#define MTL_CHECK(cond, err, ...)                                                               \
    do {                                                                                        \
        if (!(cond))                                                                            \
            return mtl_seterr((err), __VA_ARGS__);                                              \
    } while (0)
#define MTL_TRY(expr)                                                                           \
    do {                                                                                        \
        mtl_err mtl_try_rc_ = (expr);                                                           \
        if (mtl_try_rc_ != MTL_OK)                                                              \
            return mtl_try_rc_;                                                                 \
    } while (0)

/* Invariant check: aborts with file:line (redis serverAssert). */
#define MTL_ASSERT(cond)                                                                        \
    do {                                                                                        \
        if (!(cond))                                                                            \
            mtl_assert_fail(#cond, __FILE__, __LINE__);                                         \
    } while (0)
_Noreturn void mtl_assert_fail(const char *expr, const char *file, int line);

#define MTL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* write() all n bytes, retrying short writes and EINTR; the error names
 * `what` (usually the path). */
mtl_err mtl_write_all(int fd, const void *data, size_t n, const char *what);

/* snprintf() of a file path into out[cap]: a path that does not fit is an
 * MTL_ERR_INVALID_ARG naming its beginning (out is then ""), never a path
 * silently cut short. */
mtl_err mtl_path_fmt(char *out, size_t cap, const char *fmt, ...) MTL_PRINTF(3, 4);

/* Growable byte buffer with a hard cap for untrusted input (curl dynbuf). */
struct mtl_buf {
    uint8_t *data;
    size_t len;
    size_t cap;    /* allocated */
    size_t toobig; /* appending past this fails with MTL_ERR_TOO_BIG */
};
void mtl_buf_init(struct mtl_buf *b, size_t toobig);
mtl_err mtl_buf_append(struct mtl_buf *b, const void *p, size_t n);
mtl_err mtl_buf_append_str(struct mtl_buf *b, const char *s);
mtl_err mtl_buf_printf(struct mtl_buf *b, const char *fmt, ...) MTL_PRINTF(2, 3);
/* Ensure data[len] == 0 without counting it (for parsers wanting C strings). */
mtl_err mtl_buf_nul(struct mtl_buf *b);
void mtl_buf_reset(struct mtl_buf *b);
void mtl_buf_free(struct mtl_buf *b);
/* Hand the bytes over to the caller (free with mtl_free); buffer becomes empty. */
uint8_t *mtl_buf_take(struct mtl_buf *b, size_t *len);

/* hex.c: the value + 1 of each hex digit (either case), 0 for other bytes. */
extern const uint8_t mtl_hex_val1[256];

/* qsort for arrays that may be empty: an empty array may have no storage
 * (a pointer grown from NULL), and qsort(NULL, 0) is undefined behaviour. */
static inline void mtl_sort(void *base, size_t n, size_t size,
                            int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

/* Big-endian packing helpers for the reference's legacy byte codecs. */
static inline void mtl_be64_put(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}
static inline uint64_t mtl_be64_get(const uint8_t in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | in[i];
    return v;
}
static inline void mtl_be32_put(uint8_t out[4], uint32_t v)
{
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
}
static inline uint32_t mtl_be32_get(const uint8_t in[4])
{
    return ((uint32_t)in[0] << 24) | ((uint32_t)in[1] << 16) | ((uint32_t)in[2] << 8) | in[3];
}

#endif
