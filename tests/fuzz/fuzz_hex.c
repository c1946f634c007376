/* fuzz_hex.c - hex, JSON-hex and byte-array decoders never crash, and what
 * they accept re-encodes to an equivalent text. */
#include <stdlib.h>
#include <string.h>

#include "common/common_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = mtl_strndup((const char *)data, size);
    if (!s)
        return 0;
    uint8_t out[256];
    size_t n;
    if (mtl_hex_decode(out, sizeof(out), &n, s, strlen(s)) == MTL_OK) {
        char hex[513];
        MTL_ASSERT(mtl_hex_encode(hex, sizeof(hex), out, n) == MTL_OK);
        MTL_ASSERT(strlen(hex) == 2 * n);
    }
    if (mtl_json_bytes_decode(out, sizeof(out), &n, s, 0) == MTL_OK) {
        char *j;
        uint8_t back[256];
        size_t m;
        MTL_ASSERT(mtl_json_bytes_encode(&j, out, n) == MTL_OK);
        MTL_ASSERT(mtl_json_bytes_decode(back, sizeof(back), &m, j, n) == MTL_OK);
        MTL_ASSERT(m == n && memcmp(back, out, n) == 0);
        mtl_free(j);
    }
    char *json;
    size_t jl;
    if (mtl_jsonhex_decode(&json, &jl, s) == MTL_OK)
        mtl_free(json);
    mtl_free(s);
    return 0;
}
