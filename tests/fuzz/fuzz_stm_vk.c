/* fuzz_stm_vk.c - registering an arbitrary vk+PoP JSON-hex never crashes and
 * never accepts a key without a valid proof of possession. */
#include "common/common_int.h"
#include "mithril/stm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = mtl_strndup((const char *)data, size);
    struct mtl_stm_keyreg *reg;
    if (!s || mtl_stm_keyreg_new(&reg) != MTL_OK) {
        mtl_free(s);
        return 0;
    }
    if (mtl_stm_keyreg_register_jsonhex(reg, 1, s) == MTL_OK) {
        struct mtl_stm_closed_reg *c;
        if (mtl_stm_keyreg_close(reg, &c) == MTL_OK)
            mtl_stm_closed_reg_free(c);
    }
    mtl_stm_keyreg_free(reg);
    mtl_free(s);
    return 0;
}
