/* fuzz_proofs_json.c - decoding and checking a transaction or block proof
 * message never crashes; an accepted message certifies only items its proofs
 * list under one 32-byte root; a proof that decodes re-encodes to text that
 * decodes to the same proof (both wire forms).
 * Input: one byte choosing the kind (% 3: v1 transactions, v2 transactions,
 * blocks), then the message JSON. The same bytes are also fed to the two
 * proof decoders as hex (seeds: messages carrying honest proofs of a
 * synthetic chain, made with this library's prover, and their bare proofs). */
#include <string.h>

#include "common/common_int.h"
#include "mithril/cardano_proofs.h"
#include "mithril/mktree.h"

static void roundtrip(const char *hex, size_t len, bool json)
{
    struct mtl_mkproof *p = NULL, *q = NULL;
    char *a = NULL, *b = NULL;
    if ((json ? mtl_mkproof_from_json_hex(&p, hex, len)
              : mtl_mkproof_from_bytes_hex(&p, hex, len)) != MTL_OK)
        return;
    if (mtl_mkproof_verify(p) == MTL_OK) { /* a verified proof lists what it proves */
        const uint8_t *root;
        size_t rlen;
        mtl_mkproof_root(p, &root, &rlen);
        MTL_ASSERT(rlen > 0 && mtl_mkproof_tree_size(p) > 0);
    }
    MTL_ASSERT((json ? mtl_mkproof_to_json_hex(p, &a) : mtl_mkproof_to_bytes_hex(p, &a)) == MTL_OK);
    MTL_ASSERT((json ? mtl_mkproof_from_json_hex(&q, a, strlen(a))
                     : mtl_mkproof_from_bytes_hex(&q, a, strlen(a))) == MTL_OK);
    MTL_ASSERT((json ? mtl_mkproof_to_json_hex(q, &b) : mtl_mkproof_to_bytes_hex(q, &b)) == MTL_OK);
    MTL_ASSERT(strcmp(a, b) == 0);
    mtl_free(a);
    mtl_free(b);
    mtl_mkproof_free(p);
    mtl_mkproof_free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    roundtrip(text, len, true);
    roundtrip(text, len, false);
    enum mtl_proofs_kind kind = (enum mtl_proofs_kind)(1 + data[0] % 3);
    struct mtl_certified_set s;
    if (mtl_proofs_check(&s, kind, text, len) != MTL_OK)
        return 0;
    MTL_ASSERT(s.count > 0 && s.items && strlen(s.merkle_root) == 64);
    for (size_t i = 0; i < s.count; i++)
        MTL_ASSERT(strlen(s.items[i].hash) == 64 && mtl_certified_set_has(&s, s.items[i].hash));
    mtl_certified_set_free(&s);
    return 0;
}
