/* fuzz_stm_single_sig.c - single-signature decoding never crashes. */
#include "common/common_int.h"
#include "mithril/stm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = mtl_strndup((const char *)data, size);
    if (!s)
        return 0;
    uint64_t idx, *ixs = NULL;
    size_t n;
    if (mtl_stm_single_sig_info_jsonhex(s, &idx, &ixs, &n) == MTL_OK)
        mtl_free(ixs);
    mtl_free(s);
    return 0;
}
