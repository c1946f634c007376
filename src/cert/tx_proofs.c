/* tx_proofs.c - proof messages of certified transactions and blocks (v1
 * transactions, v2 transactions, v2 blocks): decode, verify every Merkle
 * proof and its items' leaves, bind the proven root to the certificate
 * (spec transactions.md §7). */
#include <inttypes.h>
#include <stdio.h>

#include "cert_int.h"
#include "merkle/merkle_int.h"
#include "mithril/cardano_proofs.h"
#include "mithril/mktree.h"

static bool is_hash(const char *s)
{
    if (!s || strlen(s) != 64)
        return false;
    for (size_t i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static mtl_err get_hash(char out[MTL_HASH_HEX_BYTES], const json_t *o, const char *key,
                        const char *what)
{
    const char *s = json_string_value(json_object_get(o, key));
    MTL_CHECK(is_hash(s), MTL_ERR_BAD_ENCODING, "%s: %s is not 64 lower-case hex digits", what,
              key);
    memcpy(out, s, MTL_HASH_HEX_BYTES);
    return MTL_OK;
}

static mtl_err get_u64(uint64_t *out, const json_t *o, const char *key, const char *what)
{
    const json_t *v = json_object_get(o, key);
    MTL_CHECK(json_is_integer(v) && json_integer_value(v) >= 0, MTL_ERR_BAD_ENCODING,
              "%s: %s is not an unsigned integer", what, key);
    *out = (uint64_t)json_integer_value(v);
    return MTL_OK;
}

size_t mtl_block_leaf(char out[MTL_PROOF_LEAF_BYTES], const char *block_hash, uint64_t block_number,
                      uint64_t slot_number)
{
    int n = snprintf(out, MTL_PROOF_LEAF_BYTES, "Block/%.64s/%" PRIu64 "/%" PRIu64, block_hash,
                     block_number, slot_number);
    return (size_t)n;
}

size_t mtl_transaction_leaf(char out[MTL_PROOF_LEAF_BYTES], const char *tx_hash,
                            const char *block_hash, uint64_t block_number, uint64_t slot_number)
{
    int n = snprintf(out, MTL_PROOF_LEAF_BYTES, "Tx/%.64s/%.64s/%" PRIu64 "/%" PRIu64, tx_hash,
                     block_hash, block_number, slot_number);
    return (size_t)n;
}

static size_t item_leaf(char out[MTL_PROOF_LEAF_BYTES], enum mtl_proofs_kind kind,
                        const struct mtl_certified_item *it)
{
    if (kind == MTL_PROOFS_TRANSACTIONS_V1)
        return (size_t)snprintf(out, MTL_PROOF_LEAF_BYTES, "%s", it->hash);
    if (kind == MTL_PROOFS_TRANSACTIONS_V2)
        return mtl_transaction_leaf(out, it->hash, it->block_hash, it->block_number,
                                    it->slot_number);
    return mtl_block_leaf(out, it->hash, it->block_number, it->slot_number);
}

static const char *subject(enum mtl_proofs_kind kind)
{
    return kind == MTL_PROOFS_BLOCKS ? "block" : "transaction";
}

/* Verify one decoded proof and that it lists items[from..to); its root hex
 * goes to root. */
static mtl_err check_proof(const struct mtl_mkproof *p, struct mtl_certified_set *s, size_t from,
                           size_t to, char root[MTL_HASH_HEX_BYTES])
{
    const uint8_t *r;
    size_t rlen;
    mtl_err rc = mtl_mkproof_verify(p);
    if (rc != MTL_OK)
        return mtl_err_wrap(rc, "proof of %s %s", subject(s->kind), s->items[from].hash);
    mtl_mkproof_root(p, &r, &rlen);
    MTL_CHECK(rlen == MTL_MKNODE_BYTES, MTL_ERR_VERIFY_FAIL,
              "proof of %s %s: its root has %zu bytes, not 32", subject(s->kind),
              s->items[from].hash, rlen);
    MTL_TRY(mtl_hex_encode(root, MTL_HASH_HEX_BYTES, r, rlen));
    /* the listed leaves sorted once: a binary search per item, not a scan */
    struct mk_index ix;
    MTL_TRY(mk_index_build(&ix, p, 1));
    for (size_t i = from; rc == MTL_OK && i < to; i++) {
        char leaf[MTL_PROOF_LEAF_BYTES];
        size_t n = item_leaf(leaf, s->kind, &s->items[i]);
        if (!mk_index_has(&ix, leaf, n))
            rc = mtl_seterr(MTL_ERR_VERIFY_FAIL, "proof of %s %s: the proof does not list it",
                            subject(s->kind), s->items[i].hash);
    }
    mk_index_free(&ix);
    return rc;
}

static mtl_err grow_items(struct mtl_certified_set *s, size_t more)
{
    MTL_CHECK(more <= MTL_PROOFS_MAX_ITEMS - s->count, MTL_ERR_TOO_BIG,
              "proofs: more than %d certified items", MTL_PROOFS_MAX_ITEMS);
    struct mtl_certified_item *n = mtl_realloc(s->items, (s->count + more + 1) * sizeof(*n));
    MTL_CHECK(n, MTL_ERR_NOMEM, "proofs: out of memory");
    s->items = n;
    memset(n + s->count, 0, (more + 1) * sizeof(*n));
    return MTL_OK;
}

static mtl_err v1_entry(struct mtl_certified_set *s, const struct cert_lift *l, const json_t *e,
                        size_t k)
{
    const json_t *hashes = json_object_get(e, "transactions_hashes");
    size_t plen = 0;
    const char *proof = cert_json_string(l, json_object_get(e, "proof"), &plen);
    MTL_CHECK(json_is_array(hashes) && json_array_size(hashes) > 0 && proof, MTL_ERR_BAD_ENCODING,
              "proofs: certified_transactions[%zu] needs transactions_hashes and a proof", k);
    size_t from = s->count, n = json_array_size(hashes);
    MTL_TRY(grow_items(s, n));
    for (size_t i = 0; i < n; i++) {
        const char *h = json_string_value(json_array_get(hashes, i));
        MTL_CHECK(is_hash(h), MTL_ERR_BAD_ENCODING,
                  "proofs: certified_transactions[%zu] hash %zu is not 64 lower-case hex digits", k,
                  i);
        memcpy(s->items[s->count++].hash, h, MTL_HASH_HEX_BYTES);
    }
    struct mtl_mkproof *p = NULL;
    char root[MTL_HASH_HEX_BYTES];
    mtl_err rc = mtl_mkproof_from_json_hex(&p, proof, plen);
    if (rc != MTL_OK)
        return mtl_err_wrap(rc, "proof of transaction %s", s->items[from].hash);
    rc = check_proof(p, s, from, s->count, root);
    mtl_mkproof_free(p);
    MTL_TRY(rc);
    if (k == 0)
        memcpy(s->merkle_root, root, sizeof(root));
    MTL_CHECK(strcmp(root, s->merkle_root) == 0, MTL_ERR_VERIFY_FAIL,
              "proofs: certified_transactions[%zu] proves root %s, the first one %s", k, root,
              s->merkle_root);
    return MTL_OK;
}

static mtl_err parse_v1(struct mtl_certified_set *s, const struct cert_lift *l, const json_t *j)
{
    const json_t *ct = json_object_get(j, "certified_transactions");
    MTL_CHECK(json_is_array(ct) && json_array_size(ct) > 0, MTL_ERR_BAD_ENCODING,
              "proofs: certified_transactions must be a non-empty array");
    for (size_t k = 0; k < json_array_size(ct); k++)
        MTL_TRY(v1_entry(s, l, json_array_get(ct, k), k));
    return MTL_OK;
}

static mtl_err v2_item(struct mtl_certified_set *s, const json_t *o, size_t i)
{
    struct mtl_certified_item *it = &s->items[s->count];
    char what[48];
    snprintf(what, sizeof(what), "proofs: items[%zu]", i);
    MTL_CHECK(json_is_object(o), MTL_ERR_BAD_ENCODING, "%s is not an object", what);
    if (s->kind == MTL_PROOFS_BLOCKS) {
        MTL_TRY(get_hash(it->hash, o, "block_hash", what));
        memcpy(it->block_hash, it->hash, MTL_HASH_HEX_BYTES);
    } else {
        MTL_TRY(get_hash(it->hash, o, "transaction_hash", what));
        MTL_TRY(get_hash(it->block_hash, o, "block_hash", what));
    }
    MTL_TRY(get_u64(&it->block_number, o, "block_number", what));
    MTL_TRY(get_u64(&it->slot_number, o, "slot_number", what));
    s->count++;
    return MTL_OK;
}

static mtl_err parse_v2(struct mtl_certified_set *s, const struct cert_lift *l, const json_t *j)
{
    const char *key = s->kind == MTL_PROOFS_BLOCKS ? "certified_blocks" : "certified_transactions";
    const json_t *c = json_object_get(j, key);
    MTL_CHECK(c, MTL_ERR_BAD_ENCODING, "proofs: %s is missing", key);
    MTL_CHECK(!json_is_null(c), MTL_ERR_NOT_FOUND, "proofs: %s is null, nothing is certified", key);
    const json_t *items = json_object_get(c, "items");
    size_t plen = 0;
    const char *proof = cert_json_string(l, json_object_get(c, "proof"), &plen);
    MTL_CHECK(json_is_array(items) && json_array_size(items) > 0 && proof, MTL_ERR_BAD_ENCODING,
              "proofs: %s needs a non-empty items array and a proof", key);
    MTL_TRY(grow_items(s, json_array_size(items)));
    for (size_t i = 0; i < json_array_size(items); i++)
        MTL_TRY(v2_item(s, json_array_get(items, i), i));
    if (json_object_get(j, "security_parameter")) {
        MTL_TRY(get_u64(&s->security_parameter, j, "security_parameter", "proofs"));
        s->has_security_parameter = true;
    }
    struct mtl_mkproof *p = NULL;
    mtl_err rc = mtl_mkproof_from_bytes_hex(&p, proof, plen);
    if (rc != MTL_OK)
        return mtl_err_wrap(rc, "proof of %s %s", subject(s->kind), s->items[0].hash);
    rc = check_proof(p, s, 0, s->count, s->merkle_root);
    /* the map has one leaf per range 0..latest (block numbers have no gaps):
     * its size is bound, where the proof format alone leaves it loose */
    uint64_t want = mtl_mktree_size_of(s->latest_block_number / MTL_BLOCK_RANGE_LENGTH + 1);
    if (rc == MTL_OK && mtl_mkproof_tree_size(p) != want)
        rc = mtl_seterr(MTL_ERR_VERIFY_FAIL,
                        "proof of %s %s: a map of the ranges up to block %" PRIu64 " has %" PRIu64
                        " nodes, the proof says %" PRIu64,
                        subject(s->kind), s->items[0].hash, s->latest_block_number, want,
                        mtl_mkproof_tree_size(p));
    mtl_mkproof_free(p);
    return rc;
}

void mtl_certified_set_free(struct mtl_certified_set *s)
{
    if (!s)
        return;
    mtl_free(s->items);
    memset(s, 0, sizeof(*s));
}

bool mtl_certified_set_has(const struct mtl_certified_set *s, const char *hash)
{
    for (size_t i = 0; s && hash && i < s->count; i++)
        if (strcmp(s->items[i].hash, hash) == 0)
            return true;
    return false;
}

mtl_err mtl_proofs_check(struct mtl_certified_set *out, enum mtl_proofs_kind kind, const char *json,
                         size_t len)
{
    MTL_CHECK(out && json, MTL_ERR_INVALID_ARG, "proofs: NULL argument");
    memset(out, 0, sizeof(*out));
    MTL_CHECK(kind >= MTL_PROOFS_TRANSACTIONS_V1 && kind <= MTL_PROOFS_BLOCKS, MTL_ERR_INVALID_ARG,
              "proofs: unknown kind %d", (int)kind);
    json_t *j = NULL;
    struct cert_lift lift;
    MTL_TRY(cert_json_load_lifted(&j, &lift, json, len));
    struct mtl_certified_set s = {.kind = kind};
    const char *nc =
        kind == MTL_PROOFS_BLOCKS ? "non_certified_blocks" : "non_certified_transactions";
    mtl_err rc = get_hash(s.certificate_hash, j, "certificate_hash", "proofs");
    if (rc == MTL_OK)
        rc = get_u64(&s.latest_block_number, j, "latest_block_number", "proofs");
    if (rc == MTL_OK && !json_is_array(json_object_get(j, nc)))
        rc = mtl_seterr(MTL_ERR_BAD_ENCODING, "proofs: %s is not an array", nc);
    if (rc == MTL_OK)
        rc = kind == MTL_PROOFS_TRANSACTIONS_V1 ? parse_v1(&s, &lift, j) : parse_v2(&s, &lift, j);
    json_decref(j);
    cert_lift_free(&lift);
    if (rc != MTL_OK) {
        mtl_certified_set_free(&s);
        return rc;
    }
    *out = s;
    return MTL_OK;
}

mtl_err mtl_certified_set_bind(const struct mtl_certified_set *s,
                               const struct mtl_certificate *cert)
{
    MTL_CHECK(s && cert, MTL_ERR_INVALID_ARG, "proofs: NULL argument");
    MTL_CHECK(strcmp(cert->hash, s->certificate_hash) == 0, MTL_ERR_INTEGRITY,
              "proofs: they name certificate %s, not %s", s->certificate_hash, cert->hash);
    bool v1 = s->kind == MTL_PROOFS_TRANSACTIONS_V1;
    enum mtl_signed_entity_kind want =
        v1 ? MTL_SET_CARDANO_TRANSACTIONS : MTL_SET_CARDANO_BLOCKS_TRANSACTIONS;
    MTL_CHECK(cert->set.kind == want, MTL_ERR_INTEGRITY,
              "proofs: certificate %s signs a %s, not a %s", cert->hash,
              mtl_signed_entity_kind_name(cert->set.kind), mtl_signed_entity_kind_name(want));
    char block[24], offset[24];
    snprintf(block, sizeof(block), "%" PRIu64, s->latest_block_number);
    snprintf(offset, sizeof(offset), "%" PRIu64, s->security_parameter);
    const char *keys[3] = {
        v1 ? "cardano_transactions_merkle_root" : "cardano_blocks_transactions_merkle_root",
        "latest_block_number", "cardano_blocks_transactions_block_number_offset"};
    const char *values[3] = {s->merkle_root, block, offset};
    size_t n = !v1 && s->has_security_parameter ? 3 : 2;
    mtl_err rc = cert_check_parts(cert, keys, values, n);
    return rc == MTL_OK ? MTL_OK : mtl_err_wrap(rc, "proofs");
}

mtl_err mtl_proofs_verify(struct mtl_certified_set *out, enum mtl_proofs_kind kind,
                          const char *json, size_t len, const struct mtl_certificate *cert)
{
    MTL_CHECK(cert, MTL_ERR_INVALID_ARG, "proofs: NULL certificate");
    MTL_TRY(mtl_proofs_check(out, kind, json, len));
    mtl_err rc = mtl_certified_set_bind(out, cert);
    if (rc != MTL_OK)
        mtl_certified_set_free(out);
    return rc;
}
