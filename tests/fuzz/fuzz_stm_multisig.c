/* fuzz_stm_multisig.c - the multi-signature and AVK decoders/verifier never
 * crash on arbitrary JSON-hex; input: "<multisig hex>\n<avk hex>". */
#include <string.h>

#include "common/common_int.h"
#include "mithril/stm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = mtl_strndup((const char *)data, size);
    if (!s)
        return 0;
    char *nl = strchr(s, '\n');
    const char *avk = "7b7d";
    if (nl) {
        *nl = 0;
        avk = nl + 1;
    }
    struct mtl_stm_params p = {105, 70, 0.95};
    mtl_err rc = mtl_stm_verify_multisig_jsonhex(s, avk, (const uint8_t *)"msg", 3, &p);
    (void)rc;
    mtl_free(s);
    return 0;
}
