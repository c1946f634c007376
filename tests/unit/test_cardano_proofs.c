/* test_cardano_proofs.c - every transaction and block proof the reference
 * aggregator served (v1, v2, blocks) verifies against its certificate, that
 * certificate verified back to genesis; our encoders write the reference's
 * bytes again; every flipped byte of every proof, every altered item and
 * every wrong certificate is refused; the forgery of spec §8 (a fake leaf at
 * a real leaf's position, which the reference client accepts) is refused;
 * the transaction snapshot artifacts check against their certificates. */
#include <jansson.h>

#include "cert_fetch.h"
#include "harness.h"
#include "merkle/merkle_int.h"

static json_t *certs, *v1, *v2, *blk;
static uint8_t genesis_vk[32];

static json_t *load_json(const char *shared, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/reference-data/aggregator-fake-2026-05-21/%s", shared, name);
    json_t *j = json_load_file(path, JSON_PRESERVE_ORDER, NULL);
    if (!j) {
        fprintf(stderr, "cannot load %s\n", path);
        exit(1);
    }
    return j;
}

/* The certificate, verified back to genesis as a wallet would (once per
 * hash: the flip test asks thousands of times). Owned by the cache. */
static struct {
    char hash[65];
    struct mtl_certificate *c;
} cache[64];

static const struct mtl_certificate *verified_cert(const char *hash)
{
    size_t i = 0;
    for (; i < 64 && cache[i].c; i++)
        if (strcmp(cache[i].hash, hash) == 0)
            return cache[i].c;
    struct mtl_chain_verify_opts o = {.fetch = fetch_from, .fetch_ctx = certs};
    struct mtl_certificate *c = NULL;
    if (i == 64 || mtl_certificate_chain_verify_get(&c, hash, genesis_vk, &o, NULL) != MTL_OK)
        return NULL;
    snprintf(cache[i].hash, sizeof(cache[i].hash), "%s", hash);
    cache[i].c = c;
    return c;
}

static mtl_err verify_msg(enum mtl_proofs_kind kind, const json_t *msg, const char *cert_hash,
                          struct mtl_certified_set *out)
{
    const struct mtl_certificate *c = verified_cert(cert_hash);
    if (!c)
        return MTL_ERR_NOT_FOUND;
    char *s = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
    mtl_err rc = mtl_proofs_verify(out, kind, s, strlen(s), c);
    free(s);
    return rc;
}

static const char *cert_hash_of(const json_t *msg)
{
    return json_string_value(json_object_get(msg, "certificate_hash"));
}

static enum mtl_proofs_kind kind_of(const json_t *set)
{
    return set == v1   ? MTL_PROOFS_TRANSACTIONS_V1
           : set == v2 ? MTL_PROOFS_TRANSACTIONS_V2
                       : MTL_PROOFS_BLOCKS;
}

/* Where a message keeps its proof(s): the json_t strings to tamper with. */
static size_t proof_slots(const json_t *set, json_t *msg, json_t **slots, size_t cap)
{
    size_t n = 0;
    if (set == v1) {
        json_t *e;
        size_t i;
        json_array_foreach(json_object_get(msg, "certified_transactions"), i, e)
        {
            if (n < cap)
                slots[n++] = json_object_get(e, "proof");
        }
    } else {
        const char *key = set == blk ? "certified_blocks" : "certified_transactions";
        slots[n++] = json_object_get(json_object_get(msg, key), "proof");
    }
    return n;
}

static void check_reference_set(json_t *set, int expected)
{
    const char *key;
    json_t *msg;
    int n = 0;
    json_object_foreach(set, key, msg)
    {
        struct mtl_certified_set s;
        CHECK_OK(verify_msg(kind_of(set), msg, cert_hash_of(msg), &s));
        CHECK(mtl_certified_set_has(&s, key));
        CHECK(!mtl_certified_set_has(&s, "00"));
        CHECK_EQ_STR(s.certificate_hash, cert_hash_of(msg));
        CHECK_EQ_INT(s.latest_block_number,
                     json_integer_value(json_object_get(msg, "latest_block_number")));
        mtl_certified_set_free(&s);
        n++;
    }
    CHECK_EQ_INT(n, expected);
}

TEST(reference_v1_transaction_proofs_verify)
{
    check_reference_set(v1, 4);
}

TEST(reference_v2_transaction_proofs_verify)
{
    check_reference_set(v2, 4);
}

TEST(reference_block_proofs_verify)
{
    check_reference_set(blk, 20);
}

TEST(our_encoders_write_the_reference_bytes)
{
    json_t *sets[3] = {v1, v2, blk};
    for (int k = 0; k < 3; k++) {
        const char *key;
        json_t *msg;
        json_object_foreach(sets[k], key, msg)
        {
            json_t *slots[8];
            size_t n = proof_slots(sets[k], msg, slots, 8);
            for (size_t i = 0; i < n; i++) {
                const char *hex = json_string_value(slots[i]);
                struct mtl_mkproof *p = NULL;
                char *again = NULL;
                if (sets[k] == v1) {
                    CHECK_OK(mtl_mkproof_from_json_hex(&p, hex, strlen(hex)));
                    CHECK_OK(mtl_mkproof_to_json_hex(p, &again));
                } else {
                    CHECK_OK(mtl_mkproof_from_bytes_hex(&p, hex, strlen(hex)));
                    CHECK_OK(mtl_mkproof_to_bytes_hex(p, &again));
                }
                CHECK_EQ_STR(again, hex);
                mtl_free(again);
                mtl_mkproof_free(p);
            }
        }
    }
}

/* Flip every byte of every proof (the JSON text of v1, the bincode of v2)
 * with `mask`: the message must never verify. Returns the flips tried. */
static size_t flip_all(json_t *set, uint8_t mask, size_t *accepted)
{
    size_t tried = 0;
    const char *key;
    json_t *msg;
    json_object_foreach(set, key, msg)
    {
        json_t *copy = json_deep_copy(msg), *slots[8];
        size_t n = proof_slots(set, copy, slots, 8);
        for (size_t i = 0; i < n; i++) {
            char *orig = mtl_strdup(json_string_value(slots[i]));
            uint8_t *bytes;
            size_t len;
            if (mtl_hex_decode_alloc(&bytes, &len, orig, strlen(orig)) != MTL_OK)
                abort();
            for (size_t b = 0; b < len; b++) {
                char *hex;
                bytes[b] ^= mask;
                if (mtl_hex_encode_alloc(&hex, bytes, len) != MTL_OK)
                    abort();
                json_string_set(slots[i], hex);
                struct mtl_certified_set s;
                if (verify_msg(kind_of(set), copy, cert_hash_of(msg), &s) == MTL_OK) {
                    fprintf(stderr, "accepted: %s proof %zu byte %zu ^ 0x%02x\n", key, i, b, mask);
                    mtl_certified_set_free(&s);
                    (*accepted)++;
                }
                mtl_free(hex);
                bytes[b] ^= mask;
                tried++;
            }
            json_string_set(slots[i], orig);
            mtl_free(bytes);
            mtl_free(orig);
        }
        json_decref(copy);
    }
    return tried;
}

TEST(every_flipped_byte_of_a_proof_is_refused)
{
    json_t *sets[3] = {v1, v2, blk};
    const uint8_t masks[3] = {0x01, 0x80, 0xff};
    size_t tried = 0, accepted = 0;
    for (int k = 0; k < 3; k++)
        for (int m = 0; m < 3; m++)
            tried += flip_all(sets[k], masks[m], &accepted);
    CHECK(tried > 20000);
    CHECK_EQ_INT(accepted, 0);
}

/* A copy of the first message of set with one field changed. */
static void expect_refused(json_t *set, void (*change)(json_t *), mtl_err want)
{
    const char *key;
    json_t *msg;
    json_object_foreach(set, key, msg)
    {
        json_t *copy = json_deep_copy(msg);
        change(copy);
        struct mtl_certified_set s;
        CHECK_ERR(verify_msg(kind_of(set), copy, cert_hash_of(msg), &s), want);
        CHECK(s.items == NULL && s.count == 0);
        json_decref(copy);
    }
}

static json_t *first_item(json_t *msg)
{
    json_t *c = json_object_get(msg, "certified_blocks");
    if (!c)
        c = json_object_get(msg, "certified_transactions");
    return json_array_get(json_object_get(c, "items"), 0);
}

static void bump(json_t *o, const char *key)
{
    json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + 1));
}

static void bump_block_number(json_t *m)
{
    bump(first_item(m), "block_number");
}
static void bump_slot(json_t *m)
{
    bump(first_item(m), "slot_number");
}
static void other_block_hash(json_t *m)
{
    json_object_set_new(first_item(m), "block_hash",
                        json_string("059016125cdad1337c9310ad5b582c3c"
                                    "de9476a62c51e4bd7f8149c61a70d3de"));
}
static void bump_latest(json_t *m)
{
    bump(m, "latest_block_number");
}
static void next_range_latest(json_t *m)
{
    json_t *l = json_object_get(m, "latest_block_number");
    json_object_set_new(m, "latest_block_number", json_integer(json_integer_value(l) + 15));
}
static void bump_security_parameter(json_t *m)
{
    bump(m, "security_parameter");
}
static void drop_security_parameter(json_t *m)
{
    json_object_del(m, "security_parameter");
}
static void other_v1_hash(json_t *m)
{
    json_t *hs = json_object_get(json_array_get(json_object_get(m, "certified_transactions"), 0),
                                 "transactions_hashes");
    json_array_set_new(hs, 0,
                       json_string("cc2b7d9ccdfcb80c485e5e5d1d33ac1e939f1c9c32cad840ac6c090f"
                                   "eb58acf3"));
}
static void upper_case_hash(json_t *m)
{
    json_t *it = first_item(m);
    char *h = mtl_strdup(json_string_value(json_object_get(it, "block_hash")));
    for (char *c = h; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 'a' + 'A');
    json_object_set_new(it, "block_hash", json_string(h));
    mtl_free(h);
}
static void null_certified(json_t *m)
{
    json_object_set_new(m, "certified_blocks", json_null());
}

TEST(altered_items_and_message_parts_are_refused)
{
    expect_refused(v2, bump_block_number, MTL_ERR_VERIFY_FAIL);
    expect_refused(blk, bump_block_number, MTL_ERR_VERIFY_FAIL);
    expect_refused(v2, bump_slot, MTL_ERR_VERIFY_FAIL);
    expect_refused(blk, bump_slot, MTL_ERR_VERIFY_FAIL);
    expect_refused(v2, other_block_hash, MTL_ERR_VERIFY_FAIL);
    expect_refused(blk, upper_case_hash, MTL_ERR_BAD_ENCODING);
    expect_refused(v1, other_v1_hash, MTL_ERR_VERIFY_FAIL);
    expect_refused(v1, bump_latest, MTL_ERR_INTEGRITY); /* the signed message differs */
    expect_refused(v2, bump_latest, MTL_ERR_INTEGRITY); /* 736: still 50 ranges, not signed */
    expect_refused(blk, next_range_latest, MTL_ERR_VERIFY_FAIL); /* 51 ranges: 98 nodes */
    expect_refused(v2, bump_security_parameter, MTL_ERR_INTEGRITY);
    expect_refused(blk, bump_security_parameter, MTL_ERR_INTEGRITY);
    expect_refused(blk, null_certified, MTL_ERR_NOT_FOUND);
    /* a message without security_parameter (before 2026-04) leaves the
     * certificate's offset part alone: still the one signed */
    const char *key;
    json_t *msg;
    json_object_foreach(blk, key, msg)
    {
        json_t *copy = json_deep_copy(msg);
        drop_security_parameter(copy);
        struct mtl_certified_set s;
        CHECK_OK(verify_msg(MTL_PROOFS_BLOCKS, copy, cert_hash_of(msg), &s));
        CHECK(!s.has_security_parameter);
        mtl_certified_set_free(&s);
        json_decref(copy);
        break;
    }
}

TEST(proofs_are_refused_against_another_certificate)
{
    json_t *m1 = json_object_iter_value(json_object_iter(v1)),
           *m2 = json_object_iter_value(json_object_iter(v2));
    const struct mtl_certificate *c1 = verified_cert(cert_hash_of(m1)),
                                 *c2 = verified_cert(cert_hash_of(m2));
    CHECK(c1 && c2);
    struct mtl_certified_set s;
    char *t1 = json_dumps(m1, JSON_COMPACT), *t2 = json_dumps(m2, JSON_COMPACT);
    /* the hash it names is not the certificate given */
    CHECK_ERR(mtl_proofs_verify(&s, MTL_PROOFS_TRANSACTIONS_V1, t1, strlen(t1), c2),
              MTL_ERR_INTEGRITY);
    CHECK(strstr(mtl_err_detail(), "they name certificate"));
    /* named right, but a certificate of another signed entity type */
    json_t *c = json_deep_copy(m1);
    json_object_set_new(c, "certificate_hash", json_string(cert_hash_of(m2)));
    char *t3 = json_dumps(c, JSON_COMPACT);
    CHECK_ERR(mtl_proofs_verify(&s, MTL_PROOFS_TRANSACTIONS_V1, t3, strlen(t3), c2),
              MTL_ERR_INTEGRITY);
    CHECK(strstr(mtl_err_detail(), "signs a CardanoBlocksTransactions"));
    /* a v2 message read as a block message has no certified_blocks */
    CHECK_ERR(mtl_proofs_verify(&s, MTL_PROOFS_BLOCKS, t2, strlen(t2), c2), MTL_ERR_BAD_ENCODING);
    free(t1);
    free(t2);
    free(t3);
    json_decref(c);
}

/* The forgery of spec §8 on a real message: the sub-proof that lists the
 * real leaf also lists a fake one at the same position, and the message
 * claims the fake transaction. */
static void forge(json_t *set, json_t *msg, const char *fake_leaf, const char *fake_hash)
{
    json_t *slots[8];
    proof_slots(set, msg, slots, 8);
    const char *hex = json_string_value(slots[0]);
    struct mtl_mkproof *p = NULL;
    if ((set == v1 ? mtl_mkproof_from_json_hex(&p, hex, strlen(hex))
                   : mtl_mkproof_from_bytes_hex(&p, hex, strlen(hex))) != MTL_OK)
        abort();
    struct mk_proof *m = &p->subs[0].proof->master;
    m->pos = mtl_realloc(m->pos, (m->nleaves + 1) * sizeof(*m->pos));
    m->leaves = mtl_realloc(m->leaves, (m->nleaves + 1) * sizeof(*m->leaves));
    m->pos[m->nleaves] = m->pos[0];
    if (mk_node_set(&m->leaves[m->nleaves], (const uint8_t *)fake_leaf, strlen(fake_leaf)))
        abort();
    m->nleaves++;
    char *out = NULL;
    if ((set == v1 ? mtl_mkproof_to_json_hex(p, &out) : mtl_mkproof_to_bytes_hex(p, &out)) !=
        MTL_OK)
        abort();
    json_string_set(slots[0], out);
    mtl_free(out);
    mtl_mkproof_free(p);
    if (set == v1) {
        json_t *hs =
            json_object_get(json_array_get(json_object_get(msg, "certified_transactions"), 0),
                            "transactions_hashes");
        json_array_append_new(hs, json_string(fake_hash));
    } else {
        json_t *items = json_object_get(json_object_get(msg, "certified_transactions"), "items");
        json_t *it = json_deep_copy(json_array_get(items, 0));
        json_object_set_new(it, "transaction_hash", json_string(fake_hash));
        json_array_append_new(items, it);
    }
}

TEST(forged_leaf_at_a_real_position_is_refused)
{
    static const char fake[] = "deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef";
    const char *key;
    json_t *msg;
    int n = 0;
    json_object_foreach(v1, key, msg)
    {
        json_t *copy = json_deep_copy(msg);
        forge(v1, copy, fake, fake);
        struct mtl_certified_set s;
        CHECK_ERR(verify_msg(MTL_PROOFS_TRANSACTIONS_V1, copy, cert_hash_of(msg), &s),
                  MTL_ERR_VERIFY_FAIL);
        CHECK(strstr(mtl_err_detail(), "listed twice"));
        json_decref(copy);
        n++;
    }
    json_object_foreach(v2, key, msg)
    {
        json_t *copy = json_deep_copy(msg);
        const json_t *it = first_item(copy);
        char leaf[256];
        snprintf(leaf, sizeof(leaf), "Tx/%s/%s/%lld/%lld", fake,
                 json_string_value(json_object_get(it, "block_hash")),
                 json_integer_value(json_object_get(it, "block_number")),
                 json_integer_value(json_object_get(it, "slot_number")));
        forge(v2, copy, leaf, fake);
        struct mtl_certified_set s;
        CHECK_ERR(verify_msg(MTL_PROOFS_TRANSACTIONS_V2, copy, cert_hash_of(msg), &s),
                  MTL_ERR_VERIFY_FAIL);
        CHECK(strstr(mtl_err_detail(), "listed twice"));
        json_decref(copy);
        n++;
    }
    CHECK_EQ_INT(n, 8);
}

/* Blocks 600..614 are all among the block proofs: the range 600-615's tree
 * rebuilt from their leaves has the root the reference's sub-proofs prove,
 * and our prover writes the reference's sub-proof of each, byte for byte. */
TEST(our_tree_and_prover_give_the_reference_sub_proofs)
{
    struct mtl_mktree *t = NULL;
    CHECK_OK(mtl_mktree_new(&t));
    const json_t *by_number[15] = {0};
    const char *key;
    json_t *msg;
    json_object_foreach(blk, key, msg)
    {
        json_int_t n = json_integer_value(json_object_get(first_item(msg), "block_number"));
        if (n >= 600 && n < 615)
            by_number[n - 600] = msg;
    }
    for (int i = 0; i < 15; i++) {
        CHECK(by_number[i]);
        const json_t *it = first_item((json_t *)by_number[i]);
        char leaf[MTL_PROOF_LEAF_BYTES];
        size_t n = mtl_block_leaf(leaf, json_string_value(json_object_get(it, "block_hash")),
                                  600 + (uint64_t)i,
                                  (uint64_t)json_integer_value(json_object_get(it, "slot_number")));
        CHECK_OK(mtl_mktree_append(t, leaf, n));
    }
    for (int i = 0; i < 15; i++) {
        json_t *slots[1];
        proof_slots(blk, (json_t *)by_number[i], slots, 1);
        const char *hex = json_string_value(slots[0]);
        struct mtl_mkproof *theirs = NULL, *ours = NULL;
        char *a = NULL, *b = NULL;
        uint64_t idx = (uint64_t)i;
        CHECK_OK(mtl_mkproof_from_bytes_hex(&theirs, hex, strlen(hex)));
        CHECK_EQ_INT(theirs->nsub, 1);
        CHECK_EQ_INT(theirs->subs[0].start, 600);
        CHECK_OK(mtl_mktree_prove(&ours, t, &idx, 1));
        CHECK_OK(mtl_mkproof_to_bytes_hex(theirs->subs[0].proof, &a));
        CHECK_OK(mtl_mkproof_to_bytes_hex(ours, &b));
        CHECK_EQ_STR(b, a);
        mtl_free(a);
        mtl_free(b);
        mtl_mkproof_free(theirs);
        mtl_mkproof_free(ours);
    }
    CHECK_EQ_INT(mtl_mktree_size_of(mtl_mktree_leaf_count(t)), 26);
    mtl_mktree_free(t);
}

/* The v1 map rebuilt from scratch: one range per transaction (the v2
 * messages give their block numbers), each range's tree the transaction
 * hash's text alone. Its root is the one certified, and our prover writes
 * each reference v1 proof again, byte for byte. */
TEST(our_prover_writes_the_reference_v1_proofs)
{
    struct entry {
        uint64_t start;
        const char *tx;
    } e[4];
    size_t n = 0;
    const char *key;
    json_t *msg;
    json_object_foreach(v2, key, msg)
    {
        CHECK(n < 4);
        uint64_t bn =
            (uint64_t)json_integer_value(json_object_get(first_item(msg), "block_number"));
        e[n].start = mtl_block_range_start(bn);
        e[n++].tx = key;
    }
    CHECK_EQ_INT(n, 4);
    for (size_t i = 1; i < n; i++) /* range order (insertion sort) */
        for (size_t j = i; j > 0 && e[j - 1].start > e[j].start; j--) {
            struct entry t = e[j];
            e[j] = e[j - 1];
            e[j - 1] = t;
        }
    struct mtl_mktree *map = NULL;
    CHECK_OK(mtl_mktree_new(&map));
    for (size_t i = 0; i < n; i++) {
        uint8_t leaf[32];
        CHECK(i == 0 || e[i].start > e[i - 1].start);
        CHECK_OK(mtl_mkmap_leaf(leaf, e[i].start, e[i].start + 15, (const uint8_t *)e[i].tx, 64));
        CHECK_OK(mtl_mktree_append(map, leaf, 32));
    }
    char root[65];
    CHECK_OK(mtl_mktree_root_hex(map, root, sizeof(root)));
    CHECK_EQ_STR(root, "8bc34ade35cda1210c3011b69921b9fb2795ddfd022b32498028dace24109766");
    for (uint64_t i = 0; i < n; i++) {
        struct mtl_mktree *sub = NULL;
        struct mtl_mkproof *p = NULL, *sp = NULL;
        uint64_t zero = 0;
        char *hex = NULL;
        CHECK_OK(mtl_mktree_new(&sub));
        CHECK_OK(mtl_mktree_append(sub, e[i].tx, 64));
        CHECK_OK(mtl_mktree_prove(&p, map, &i, 1));
        CHECK_OK(mtl_mktree_prove(&sp, sub, &zero, 1));
        CHECK_OK(mtl_mkproof_add_sub(p, e[i].start, e[i].start + 15, sp));
        CHECK_OK(mtl_mkproof_to_json_hex(p, &hex));
        const json_t *ref = json_array_get(
            json_object_get(json_object_get(v1, e[i].tx), "certified_transactions"), 0);
        CHECK_EQ_STR(hex, json_string_value(json_object_get(ref, "proof")));
        mtl_free(hex);
        mtl_mkproof_free(p);
        mtl_mktree_free(sub);
    }
    mtl_mktree_free(map);
}

static void check_snapshots(const char *file, bool blocks, int expected_hashes)
{
    json_t *snaps = load_json(th_shared_dir(), file);
    const char *key;
    json_t *a;
    int hashes = 0, checked = 0;
    json_object_foreach(snaps, key, a)
    {
        const char *root = json_string_value(json_object_get(a, "merkle_root"));
        char h[MTL_HASH_HEX_BYTES];
        if (blocks)
            mtl_cardano_blocks_transactions_snapshot_hash(
                root, (uint64_t)json_integer_value(json_object_get(a, "block_number_signed")),
                (uint64_t)json_integer_value(json_object_get(a, "block_number_tip")), h);
        else
            mtl_cardano_transactions_snapshot_hash(
                root, (uint64_t)json_integer_value(json_object_get(a, "block_number")), h);
        CHECK_EQ_STR(h, key);
        hashes++;
        if (!json_object_get(certs, cert_hash_of(a)))
            continue;
        const struct mtl_certificate *c = verified_cert(cert_hash_of(a));
        CHECK(c);
        char *s = json_dumps(a, JSON_COMPACT);
        CHECK_OK(blocks ? mtl_cardano_blocks_transactions_snapshot_verify(s, strlen(s), c)
                        : mtl_cardano_transactions_snapshot_verify(s, strlen(s), c));
        free(s);
        /* another root, the hash recomputed around it: the signed part refuses it */
        json_t *t = json_deep_copy(a);
        const char *other = "0000000000000000000000000000000000000000000000000000000000000000";
        if (blocks)
            mtl_cardano_blocks_transactions_snapshot_hash(
                other, (uint64_t)json_integer_value(json_object_get(a, "block_number_signed")),
                (uint64_t)json_integer_value(json_object_get(a, "block_number_tip")), h);
        else
            mtl_cardano_transactions_snapshot_hash(
                other, (uint64_t)json_integer_value(json_object_get(a, "block_number")), h);
        json_object_set_new(t, "merkle_root", json_string(other));
        json_object_set_new(t, "hash", json_string(h));
        s = json_dumps(t, JSON_COMPACT);
        mtl_err rc = blocks ? mtl_cardano_blocks_transactions_snapshot_verify(s, strlen(s), c)
                            : mtl_cardano_transactions_snapshot_verify(s, strlen(s), c);
        CHECK_ERR(rc, MTL_ERR_INTEGRITY);
        CHECK(strstr(mtl_err_detail(), "not the one certificate"));
        free(s);
        json_decref(t);
        checked++;
    }
    CHECK_EQ_INT(hashes, expected_hashes);
    CHECK(checked > 0);
    json_decref(snaps);
}

TEST(transaction_snapshots_check_against_their_certificates)
{
    check_snapshots("ctx-snapshots.json", false, 18);
    check_snapshots("cardano-blocks-txs-snapshots.json", true, 17);
}

int main(void)
{
    const char *shared = REQUIRE_SHARED();
    mtl_init();
    certs = load_json(shared, "certificates.json");
    v1 = load_json(shared, "ctx-proofs.json");
    v2 = load_json(shared, "ctx-proofs-v2.json");
    blk = load_json(shared, "cblk-proofs.json");
    char path[4096];
    snprintf(path, sizeof(path), "%s/reference-data/genesis-keys/devnet-e2e/genesis.vkey", shared);
    uint8_t *vk;
    size_t len;
    if (mtl_read_file(path, 4096, &vk, &len) != MTL_OK ||
        mtl_genesis_vkey_decode(genesis_vk, (char *)vk) != MTL_OK) {
        fprintf(stderr, "cannot load the genesis key: %s\n", mtl_err_detail());
        return 1;
    }
    mtl_free(vk);
    RUN(reference_v1_transaction_proofs_verify);
    RUN(reference_v2_transaction_proofs_verify);
    RUN(reference_block_proofs_verify);
    RUN(our_encoders_write_the_reference_bytes);
    RUN(every_flipped_byte_of_a_proof_is_refused);
    RUN(altered_items_and_message_parts_are_refused);
    RUN(proofs_are_refused_against_another_certificate);
    RUN(forged_leaf_at_a_real_position_is_refused);
    RUN(our_tree_and_prover_give_the_reference_sub_proofs);
    RUN(our_prover_writes_the_reference_v1_proofs);
    RUN(transaction_snapshots_check_against_their_certificates);
    json_decref(certs);
    json_decref(v1);
    json_decref(v2);
    json_decref(blk);
    for (size_t i = 0; i < 64; i++)
        mtl_certificate_free(cache[i].c);
    return DONE();
}
