/* fuzz_cert_json.c - certificate JSON decoding never crashes; what decodes
 * re-encodes and decodes again to the same hash. */
#include <string.h>

#include "common/common_int.h"
#include "mithril/certificate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mtl_certificate *c, *back;
    if (mtl_certificate_from_json(&c, (const char *)data, size) != MTL_OK)
        return 0;
    char *json, h1[65], h2[65];
    MTL_ASSERT(mtl_certificate_to_json(c, &json) == MTL_OK);
    MTL_ASSERT(mtl_certificate_from_json(&back, json, strlen(json)) == MTL_OK);
    MTL_ASSERT(mtl_certificate_compute_hash(c, h1) == MTL_OK);
    MTL_ASSERT(mtl_certificate_compute_hash(back, h2) == MTL_OK);
    MTL_ASSERT(strcmp(h1, h2) == 0);
    uint8_t vk[32] = {0};
    mtl_err rc = mtl_certificate_verify_integrity(c, vk);
    (void)rc;
    mtl_free(json);
    mtl_certificate_free(back);
    mtl_certificate_free(c);
    return 0;
}
