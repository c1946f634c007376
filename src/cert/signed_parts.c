/* signed_parts.c - an artifact or a proof is bound to its certificate when
 * the certificate's protocol message, with the parts the artifact states put
 * in, hashes to the certificate's signed_message. */
#include "cert_int.h"

mtl_err cert_check_parts(const struct mtl_certificate *cert, const char *const *keys,
                         const char *const *values, size_t n)
{
    struct mtl_protocol_message pm;
    char h[MTL_HASH_HEX_BYTES];
    memset(&pm, 0, sizeof(pm));
    mtl_err rc = pm_copy(&pm, &cert->pm);
    for (size_t i = 0; rc == MTL_OK && i < n; i++)
        rc = mtl_protocol_message_set(&pm, keys[i], values[i]);
    if (rc == MTL_OK) {
        mtl_protocol_message_hash(&pm, h);
        if (strcmp(h, cert->signed_message) != 0)
            rc = mtl_seterr(MTL_ERR_INTEGRITY, "its %s %s not the one certificate %s signed",
                            n > 1 ? "root and block numbers" : keys[0], n > 1 ? "are" : "is",
                            cert->hash);
    }
    pm_clear(&pm);
    return rc;
}
