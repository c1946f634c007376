/* mem.c - allocation wrappers (failure injection for tests) and secret wiping. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common_int.h"

/* -1: injection off; otherwise the number of allocations still allowed. */
static atomic_long fail_after = -1;

void mtl_alloc_fail_after(long n)
{
    atomic_store(&fail_after, n);
}

static bool injected_failure(void)
{
    long cur = atomic_load(&fail_after);
    while (cur >= 0) {
        if (cur == 0)
            return true;
        if (atomic_compare_exchange_weak(&fail_after, &cur, cur - 1))
            return false;
    }
    return false;
}

void *mtl_malloc(size_t n)
{
    if (injected_failure())
        return NULL;
    return malloc(n ? n : 1);
}

void *mtl_calloc(size_t count, size_t size)
{
    if (injected_failure())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *mtl_realloc(void *p, size_t n)
{
    if (injected_failure())
        return NULL;
    return realloc(p, n ? n : 1);
}

void mtl_free(void *p)
{
    free(p);
}

char *mtl_strndup(const char *s, size_t n)
{
    char *d = mtl_malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *mtl_strdup(const char *s)
{
    return mtl_strndup(s, strlen(s));
}

void mtl_memzero(void *p, size_t n)
{
    sodium_memzero(p, n);
}

int mtl_memcmp_ct(const void *a, const void *b, size_t n)
{
    return sodium_memcmp(a, b, n);
}

mtl_err mtl_init(void)
{
    if (sodium_init() < 0)
        return mtl_seterr(MTL_ERR_INTERNAL, "libsodium failed to initialise");
    return MTL_OK;
}

const char *mtl_version(void)
{
    return MTL_VERSION_STRING;
}
