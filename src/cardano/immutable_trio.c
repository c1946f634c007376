/* immutable_trio.c - the names of an immutable trio (NNNNN.chunk|primary|
 * secondary), one rule for the aggregator that packs them and the client
 * that accepts them. */
#include <stdio.h>
#include <string.h>

#include "cardano_int.h"

static const char *const TRIO_EXT[MTL_IMMUTABLE_TRIO_FILES] = {"chunk", "primary", "secondary"};

const char *mtl_immutable_trio_ext(unsigned kind)
{
    return kind < MTL_IMMUTABLE_TRIO_FILES ? TRIO_EXT[kind] : NULL;
}

mtl_err mtl_immutable_trio_name(char out[MTL_IMMUTABLE_NAME_BYTES], uint64_t number, unsigned kind)
{
    out[0] = '\0';
    MTL_CHECK(kind < MTL_IMMUTABLE_TRIO_FILES, MTL_ERR_INVALID_ARG,
              "immutable trio: kind %u is not chunk, primary or secondary", kind);
    /* at most 20 digits + '.' + 9: always fits in 32 bytes */
    snprintf(out, MTL_IMMUTABLE_NAME_BYTES, "%05llu.%s", (unsigned long long)number,
             TRIO_EXT[kind]);
    return MTL_OK;
}

bool mtl_immutable_trio_parse(const char *name, uint64_t *number, unsigned *kind)
{
    if (!name)
        return false;
    size_t digits = strspn(name, "0123456789");
    if (digits < 5 || digits > 20 || name[digits] != '.')
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < digits; i++) {
        unsigned d = (unsigned)(name[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    for (unsigned k = 0; k < MTL_IMMUTABLE_TRIO_FILES; k++) {
        char canon[MTL_IMMUTABLE_NAME_BYTES];
        mtl_immutable_trio_name(canon, v, k);
        if (strcmp(canon, name) == 0) { /* also refuses extra leading zeros */
            if (number)
                *number = v;
            if (kind)
                *kind = k;
            return true;
        }
    }
    return false;
}
