/* buf.c - capped growable buffer. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common_int.h"

void mtl_buf_init(struct mtl_buf *b, size_t toobig)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->toobig = toobig;
}

static mtl_err reserve(struct mtl_buf *b, size_t extra)
{
    MTL_CHECK(extra <= b->toobig && b->len <= b->toobig - extra, MTL_ERR_TOO_BIG,
              "buffer: more than %zu bytes", b->toobig);
    size_t need = b->len + extra + 1; /* room for a NUL */
    if (need <= b->cap)
        return MTL_OK;
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < need)
        ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    uint8_t *nd = mtl_realloc(b->data, ncap);
    MTL_CHECK(nd, MTL_ERR_NOMEM, "buffer: out of memory growing to %zu bytes", ncap);
    b->data = nd;
    b->cap = ncap;
    return MTL_OK;
}

mtl_err mtl_buf_append(struct mtl_buf *b, const void *p, size_t n)
{
    MTL_TRY(reserve(b, n));
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return MTL_OK;
}

mtl_err mtl_buf_append_str(struct mtl_buf *b, const char *s)
{
    return mtl_buf_append(b, s, strlen(s));
}

mtl_err mtl_buf_printf(struct mtl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    MTL_CHECK(n >= 0, MTL_ERR_INTERNAL, "buffer: bad format");
    MTL_TRY(reserve(b, (size_t)n));
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return MTL_OK;
}

mtl_err mtl_buf_nul(struct mtl_buf *b)
{
    return reserve(b, 0);
}

void mtl_buf_reset(struct mtl_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = 0;
}

void mtl_buf_free(struct mtl_buf *b)
{
    mtl_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

uint8_t *mtl_buf_take(struct mtl_buf *b, size_t *len)
{
    uint8_t *d = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}
