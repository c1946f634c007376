/* block.c - decoding a hard-fork-combinator block [era, block] of any era
 * for its number, slot, hash and transaction hashes (see cardano_block.h;
 * CDDL shapes as pallas-primitives decodes them). Only the header and the
 * transaction bodies are walked; bodies are hashed where they lie. */
#include <sodium.h>
#include <string.h>

#include "cardano_int.h"
#include "mithril/cardano_block.h"

struct mtl_block_decoder {
    uint8_t (*tx)[MTL_BLOCK_HASH_BYTES];
    size_t cap;
};

/* One block being walked: the bytes, a position, what errors name. */
struct walk {
    const uint8_t *p;
    size_t len, pos;
};

static const char *const ERA_NAMES[8] = {"byron-ebb", "byron",  "shelley", "allegra",
                                         "mary",      "alonzo", "babbage", "conway"};

const char *mtl_cardano_era_name(enum mtl_cardano_era era)
{
    return (unsigned)era < 8 ? ERA_NAMES[era] : "?";
}

mtl_err mtl_block_decoder_new(struct mtl_block_decoder **out)
{
    MTL_CHECK(out, MTL_ERR_INVALID_ARG, "block decoder: NULL argument");
    *out = mtl_calloc(1, sizeof(**out));
    MTL_CHECK(*out, MTL_ERR_NOMEM, "block decoder: out of memory");
    return MTL_OK;
}

void mtl_block_decoder_free(struct mtl_block_decoder *d)
{
    if (!d)
        return;
    mtl_free(d->tx);
    mtl_free(d);
}

static mtl_err uint_at(struct walk *w, uint64_t *v, const char *what)
{
    return mtl_cbor_expect(w->p, w->len, &w->pos, 0, v, what);
}

static mtl_err array_of(struct walk *w, uint64_t want, const char *what)
{
    uint64_t n;
    size_t at = w->pos;
    MTL_TRY(mtl_cbor_expect(w->p, w->len, &w->pos, 4, &n, what));
    MTL_CHECK(n == want, MTL_ERR_BAD_ENCODING,
              "%s: expected an array of %llu items at offset %zu, it has %llu", what,
              (unsigned long long)want, at, (unsigned long long)n);
    return MTL_OK;
}

static mtl_err skip_n(struct walk *w, unsigned n, const char *what)
{
    for (unsigned i = 0; i < n; i++)
        MTL_TRY(mtl_cbor_skip(w->p, w->len, &w->pos, what));
    return MTL_OK;
}

/* The header is skipped whole first: that checks its every item (and the
 * nesting bound, counted from the header as for every other item) in one
 * walk; the fields wanted are then read from its start, and its length
 * is known for the hash. Sets *end past the header; w->pos stays at its
 * start. */
static mtl_err header_end(const struct walk *w, size_t *end, const char *what)
{
    *end = w->pos;
    return mtl_cbor_skip(w->p, w->len, end, what);
}

/* BLAKE2b-256 of the header bytes [from, end), after an optional
 * [tag, ...] prefix (Byron hashes the header wrapped as [0|1, header]). */
static void header_hash(uint8_t out[32], const struct walk *w, size_t from, size_t end,
                        int byron_tag)
{
    if (byron_tag < 0) {
        crypto_generichash(out, 32, w->p + from, end - from, NULL, 0);
        return;
    }
    const uint8_t prefix[2] = {0x82, (uint8_t)byron_tag};
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 32);
    crypto_generichash_update(&st, prefix, 2);
    crypto_generichash_update(&st, w->p + from, end - from);
    crypto_generichash_final(&st, out, 32);
}

static mtl_err push_tx(struct mtl_block_decoder *d, size_t *count, const uint8_t *body, size_t n)
{
    if (*count == d->cap) { /* grows geometrically: no allocation per transaction */
        size_t cap = d->cap ? 2 * d->cap : 256;
        uint8_t(*t)[MTL_BLOCK_HASH_BYTES] = mtl_realloc(d->tx, cap * sizeof(*t));
        MTL_CHECK(t, MTL_ERR_NOMEM, "block: out of memory for %zu transaction hashes", cap);
        d->tx = t;
        d->cap = cap;
    }
    crypto_generichash(d->tx[(*count)++], MTL_BLOCK_HASH_BYTES, body, n, NULL, 0);
    return MTL_OK;
}

/* Shelley .. Conway: [header, transaction_bodies, witness_sets, aux_data
 * (, invalid_transactions from Alonzo on)], header = [header_body,
 * body_signature], header_body starting with block_number, slot. */
static mtl_err shelley(struct mtl_block_decoder *d, struct walk *w, struct mtl_cardano_block *b)
{
    unsigned era = b->era;
    MTL_TRY(array_of(w, era >= MTL_ERA_ALONZO ? 5 : 4, "block"));
    size_t from = w->pos, end;
    MTL_TRY(header_end(w, &end, "header"));
    MTL_TRY(array_of(w, 2, "header"));
    MTL_TRY(array_of(w, era >= MTL_ERA_BABBAGE ? 10 : 15, "header body"));
    MTL_TRY(uint_at(w, &b->block_number, "header block_number"));
    MTL_TRY(uint_at(w, &b->slot, "header slot"));
    w->pos = end;
    header_hash(b->hash, w, from, end, -1);
    uint64_t left;
    bool indef;
    MTL_TRY(mtl_cbor_array(w->p, w->len, &w->pos, &left, &indef, "transaction bodies"));
    while (mtl_cbor_array_more(w->p, w->len, &w->pos, indef, &left)) {
        size_t at = w->pos;
        mtl_err rc = mtl_cbor_skip(w->p, w->len, &w->pos, "transaction body");
        if (rc != MTL_OK)
            return mtl_err_wrap(rc, "transaction %zu", b->tx_count);
        MTL_TRY(push_tx(d, &b->tx_count, w->p + at, w->pos - at));
    }
    return MTL_OK;
}

/* Byron main: [header, body, extra], header = [protocol_magic, prev_block,
 * body_proof, consensus_data = [[epoch, slot], issuer, [difficulty],
 * signature], extra_data], body = [tx_payload, ssc, dlg, upd], tx_payload =
 * [* [tx, witnesses]]. */
static mtl_err byron(struct mtl_block_decoder *d, struct walk *w, struct mtl_cardano_block *b)
{
    uint64_t epoch, slot, left;
    bool indef;
    MTL_TRY(array_of(w, 3, "byron block"));
    size_t from = w->pos, end;
    MTL_TRY(header_end(w, &end, "byron header"));
    MTL_TRY(array_of(w, 5, "byron header"));
    MTL_TRY(skip_n(w, 3, "byron header"));
    MTL_TRY(array_of(w, 4, "byron consensus data"));
    MTL_TRY(array_of(w, 2, "byron slot id"));
    MTL_TRY(uint_at(w, &epoch, "byron epoch"));
    MTL_TRY(uint_at(w, &slot, "byron slot"));
    MTL_TRY(mtl_cbor_skip(w->p, w->len, &w->pos, "byron issuer"));
    MTL_TRY(array_of(w, 1, "byron difficulty"));
    MTL_TRY(uint_at(w, &b->block_number, "byron difficulty"));
    w->pos = end;
    header_hash(b->hash, w, from, end, 1);
    MTL_CHECK(epoch <= (UINT64_MAX - slot) / MTL_BYRON_EPOCH_SLOTS, MTL_ERR_BAD_ENCODING,
              "byron slot id: epoch %llu out of range", (unsigned long long)epoch);
    b->slot = epoch * MTL_BYRON_EPOCH_SLOTS + slot;
    MTL_TRY(array_of(w, 4, "byron body"));
    MTL_TRY(mtl_cbor_array(w->p, w->len, &w->pos, &left, &indef, "byron tx payload"));
    while (mtl_cbor_array_more(w->p, w->len, &w->pos, indef, &left)) {
        MTL_TRY(array_of(w, 2, "byron tx aux"));
        size_t at = w->pos;
        mtl_err rc = mtl_cbor_skip(w->p, w->len, &w->pos, "byron tx");
        if (rc == MTL_OK)
            rc = push_tx(d, &b->tx_count, w->p + at, w->pos - at);
        if (rc == MTL_OK)
            rc = mtl_cbor_skip(w->p, w->len, &w->pos, "byron tx witnesses");
        if (rc != MTL_OK)
            return mtl_err_wrap(rc, "transaction %zu", b->tx_count);
    }
    return MTL_OK;
}

/* Byron epoch boundary: [header, body, extra], header = [protocol_magic,
 * prev_block, body_proof, consensus_data = [epoch, [difficulty]], extra]. */
static mtl_err ebb(struct walk *w, struct mtl_cardano_block *b)
{
    uint64_t epoch;
    MTL_TRY(array_of(w, 3, "epoch boundary block"));
    size_t from = w->pos, end;
    MTL_TRY(header_end(w, &end, "epoch boundary header"));
    MTL_TRY(array_of(w, 5, "epoch boundary header"));
    MTL_TRY(skip_n(w, 3, "epoch boundary header"));
    MTL_TRY(array_of(w, 2, "epoch boundary consensus data"));
    MTL_TRY(uint_at(w, &epoch, "epoch boundary epoch"));
    MTL_TRY(array_of(w, 1, "epoch boundary difficulty"));
    MTL_TRY(uint_at(w, &b->block_number, "epoch boundary difficulty"));
    w->pos = end;
    header_hash(b->hash, w, from, end, 0);
    MTL_CHECK(epoch <= UINT64_MAX / MTL_BYRON_EPOCH_SLOTS, MTL_ERR_BAD_ENCODING,
              "epoch boundary: epoch %llu out of range", (unsigned long long)epoch);
    b->slot = epoch * MTL_BYRON_EPOCH_SLOTS;
    return MTL_OK;
}

mtl_err mtl_block_decode(struct mtl_block_decoder *d, const uint8_t *p, size_t len,
                         struct mtl_cardano_block *out)
{
    MTL_CHECK(d && (p || len == 0) && out, MTL_ERR_INVALID_ARG, "block: NULL argument");
    struct walk w = {p, len, 0};
    struct mtl_cardano_block b = {.bytes = p, .len = len};
    uint64_t era;
    MTL_TRY(array_of(&w, 2, "era wrapper"));
    MTL_TRY(uint_at(&w, &era, "era tag"));
    MTL_CHECK(era <= MTL_ERA_CONWAY, MTL_ERR_BAD_ENCODING, "era tag: %llu is no era (0..7)",
              (unsigned long long)era);
    b.era = (enum mtl_cardano_era)era;
    mtl_err rc = era == MTL_ERA_BYRON_EBB ? ebb(&w, &b)
                 : era == MTL_ERA_BYRON   ? byron(d, &w, &b)
                                          : shelley(d, &w, &b);
    if (rc != MTL_OK)
        return mtl_err_wrap(rc, "%s block", ERA_NAMES[era]);
    b.tx_hashes = (const uint8_t(*)[MTL_BLOCK_HASH_BYTES])d->tx;
    *out = b;
    return MTL_OK;
}
