/* signer_stored_vk.c - the verification key (JSON-hex, as registered) of the
 * Mithril key a signer stored for an epoch, for signer_real_aggregator.sh:
 *   signer_stored_vk DATA_STORES_DIRECTORY EPOCH
 * The secret key never leaves this process; exit 1 with a message when the
 * key is absent or unreadable. */
#include <stdio.h>
#include <stdlib.h>

#include "signer_int.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: signer_stored_vk DATA_STORES_DIRECTORY EPOCH\n");
        return 2;
    }
    struct mtl_stm_initializer *init = NULL;
    char *vk = NULL;
    if (mtl_init() != MTL_OK ||
        signer_store_get_initializer(argv[1], strtoull(argv[2], NULL, 10), &init) != MTL_OK ||
        (init && mtl_stm_initializer_vk_jsonhex(init, &vk) != MTL_OK)) {
        fprintf(stderr, "signer_stored_vk: %s\n", mtl_err_detail());
        mtl_stm_initializer_free(init);
        return 1;
    }
    mtl_stm_initializer_free(init);
    if (!vk) {
        fprintf(stderr, "signer_stored_vk: no key stored for epoch %s in %s\n", argv[2], argv[1]);
        return 1;
    }
    printf("%s\n", vk);
    mtl_free(vk);
    return 0;
}
