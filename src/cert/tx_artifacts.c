/* tx_artifacts.c - the CardanoTransactions and CardanoBlocksTransactions
 * snapshot artifacts (spec transactions.md §9): their hashes, and their check
 * against the certificate that signed them. */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>

#include "cert_int.h"
#include "mithril/cardano_proofs.h"

static void snapshot_hash(const char *root, const uint64_t *numbers, size_t n,
                          char out[MTL_HASH_HEX_BYTES])
{
    crypto_hash_sha256_state st;
    uint8_t md[32], be[8];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)root, strlen(root));
    for (size_t i = 0; i < n; i++) {
        mtl_be64_put(be, numbers[i]);
        crypto_hash_sha256_update(&st, be, 8);
    }
    crypto_hash_sha256_final(&st, md);
    mtl_hex_encode(out, MTL_HASH_HEX_BYTES, md, 32);
}

void mtl_cardano_transactions_snapshot_hash(const char *merkle_root_hex, uint64_t block_number,
                                            char out[MTL_HASH_HEX_BYTES])
{
    snapshot_hash(merkle_root_hex, &block_number, 1, out);
}

void mtl_cardano_blocks_transactions_snapshot_hash(const char *merkle_root_hex,
                                                   uint64_t block_number_signed,
                                                   uint64_t block_number_tip,
                                                   char out[MTL_HASH_HEX_BYTES])
{
    const uint64_t n[2] = {block_number_signed, block_number_tip};
    snapshot_hash(merkle_root_hex, n, 2, out);
}

/* The fields both artifacts have; numbers[] read from keys[]. */
struct snap {
    const char *what, *hash, *root;
    uint64_t epoch, numbers[2];
};

static mtl_err read_snap(struct snap *s, const json_t *j, const char *const *keys, size_t n)
{
    MTL_CHECK(j, MTL_ERR_BAD_ENCODING, "%s: invalid JSON", s->what);
    s->hash = json_string_value(json_object_get(j, "hash"));
    s->root = json_string_value(json_object_get(j, "merkle_root"));
    const json_t *ep = json_object_get(j, "epoch");
    MTL_CHECK(s->hash && s->root && json_is_integer(ep) && json_integer_value(ep) >= 0,
              MTL_ERR_BAD_ENCODING, "%s: fields hash, merkle_root and epoch are required", s->what);
    s->epoch = (uint64_t)json_integer_value(ep);
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_object_get(j, keys[i]);
        MTL_CHECK(json_is_integer(v) && json_integer_value(v) >= 0, MTL_ERR_BAD_ENCODING,
                  "%s: %s is not an unsigned integer", s->what, keys[i]);
        s->numbers[i] = (uint64_t)json_integer_value(v);
    }
    return MTL_OK;
}

static mtl_err check_hash(const struct snap *s, const char *computed)
{
    MTL_CHECK(strcmp(computed, s->hash) == 0, MTL_ERR_INTEGRITY,
              "%s: hash %s does not match its content", s->what, s->hash);
    return MTL_OK;
}

static mtl_err tx_snapshot(const json_t *j, const struct mtl_certificate *cert)
{
    static const char *const keys[1] = {"block_number"};
    struct snap s = {.what = "cardano transactions snapshot"};
    char h[MTL_HASH_HEX_BYTES], block[24];
    MTL_TRY(read_snap(&s, j, keys, 1));
    mtl_cardano_transactions_snapshot_hash(s.root, s.numbers[0], h);
    MTL_TRY(check_hash(&s, h));
    MTL_CHECK(cert->set.kind == MTL_SET_CARDANO_TRANSACTIONS && cert->set.epoch == s.epoch &&
                  cert->set.a == s.numbers[0],
              MTL_ERR_INTEGRITY, "%s %s: epoch and block number are not what certificate %s signed",
              s.what, s.hash, cert->hash);
    snprintf(block, sizeof(block), "%" PRIu64, s.numbers[0]);
    const char *pk[2] = {"cardano_transactions_merkle_root", "latest_block_number"};
    const char *pv[2] = {s.root, block};
    mtl_err rc = cert_check_parts(cert, pk, pv, 2);
    return rc == MTL_OK ? MTL_OK : mtl_err_wrap(rc, "%s %s", s.what, s.hash);
}

static mtl_err blocks_snapshot(const json_t *j, const struct mtl_certificate *cert)
{
    static const char *const keys[2] = {"block_number_signed", "block_number_tip"};
    struct snap s = {.what = "cardano blocks transactions snapshot"};
    char h[MTL_HASH_HEX_BYTES], block[24], offset[24];
    MTL_TRY(read_snap(&s, j, keys, 2));
    MTL_CHECK(s.numbers[1] >= s.numbers[0], MTL_ERR_BAD_ENCODING,
              "%s: block_number_tip is below block_number_signed", s.what);
    mtl_cardano_blocks_transactions_snapshot_hash(s.root, s.numbers[0], s.numbers[1], h);
    MTL_TRY(check_hash(&s, h));
    uint64_t off = s.numbers[1] - s.numbers[0];
    MTL_CHECK(cert->set.kind == MTL_SET_CARDANO_BLOCKS_TRANSACTIONS && cert->set.epoch == s.epoch &&
                  cert->set.a == s.numbers[0] && cert->set.b == off,
              MTL_ERR_INTEGRITY,
              "%s %s: epoch and block numbers are not what certificate %s signed", s.what, s.hash,
              cert->hash);
    snprintf(block, sizeof(block), "%" PRIu64, s.numbers[0]);
    snprintf(offset, sizeof(offset), "%" PRIu64, off);
    const char *pk[3] = {"cardano_blocks_transactions_merkle_root", "latest_block_number",
                         "cardano_blocks_transactions_block_number_offset"};
    const char *pv[3] = {s.root, block, offset};
    mtl_err rc = cert_check_parts(cert, pk, pv, 3);
    return rc == MTL_OK ? MTL_OK : mtl_err_wrap(rc, "%s %s", s.what, s.hash);
}

static mtl_err with_json(const char *json, size_t len, const struct mtl_certificate *cert,
                         mtl_err (*check)(const json_t *, const struct mtl_certificate *))
{
    MTL_CHECK(json && cert, MTL_ERR_INVALID_ARG, "snapshot: NULL argument");
    json_error_t jerr;
    json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    MTL_CHECK(j, MTL_ERR_BAD_ENCODING, "snapshot: invalid JSON: %s", jerr.text);
    mtl_err rc = check(j, cert);
    json_decref(j);
    return rc;
}

mtl_err mtl_cardano_transactions_snapshot_verify(const char *json, size_t len,
                                                 const struct mtl_certificate *cert)
{
    return with_json(json, len, cert, tx_snapshot);
}

mtl_err mtl_cardano_blocks_transactions_snapshot_verify(const char *json, size_t len,
                                                        const struct mtl_certificate *cert)
{
    return with_json(json, len, cert, blocks_snapshot);
}
