/* fuzz_digests.c - the client's parser of an artifact's digests list
 * (src/client/client_digests.c, from client_core) never crashes, and what it
 * accepts is a sorted, duplicate-free list of certified immutable file names
 * up to the certified number, each with 64 lowercase hex digits, that the
 * restore's binary search finds.
 * Input: one byte, the certified immutable file number, then the JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_services.h"

static void check_list(const struct restore_digest *d, size_t n, uint64_t max)
{
    MTL_ASSERT(n > 0);
    for (size_t i = 0; i < n; i++) {
        const char *dot = strchr(d[i].name, '.');
        MTL_ASSERT(dot && dot - d[i].name == 5 && strspn(d[i].name, "0123456789") == 5);
        MTL_ASSERT(!strcmp(dot, ".chunk") || !strcmp(dot, ".primary") ||
                   !strcmp(dot, ".secondary"));
        MTL_ASSERT(strtoull(d[i].name, NULL, 10) <= max);
        MTL_ASSERT(strlen(d[i].digest) == 64 && strspn(d[i].digest, "0123456789abcdef") == 64);
        MTL_ASSERT(i == 0 || strcmp(d[i - 1].name, d[i].name) < 0);
        MTL_ASSERT(restore_digest_find(d, n, d[i].name) == &d[i]);
    }
    MTL_ASSERT(restore_digest_find(d, n, "99999.other") == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct restore_digest *d;
    size_t n;
    uint64_t max = data[0];
    if (client_digests_parse((const char *)data + 1, size - 1, max, &d, &n) != MTL_OK)
        return 0;
    check_list(d, n, max);
    /* the root of what was kept (one leaf alone has none) never matches a
     * root it cannot have */
    mtl_err e = client_digests_check_root(d, n, "");
    MTL_ASSERT(e == (n == 1 ? MTL_ERR_INVALID_ARG : MTL_ERR_INTEGRITY));
    mtl_free(d);
    return 0;
}
