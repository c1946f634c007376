/* signed_entity.c - the signed entity kinds: one table row per kind holds its
 * name, the shape of its beacon (JSON and certificate hash) and the builder
 * of its own protocol message parts. */
#include <sodium.h>

#include "cert_int.h"

enum beacon_shape {
    BEACON_EPOCH,        /* 15 */
    BEACON_DB,           /* {"epoch":20,"immutable_file_number":5} */
    BEACON_BLOCK,        /* [23,689] */
    BEACON_BLOCK_OFFSET, /* [23,705,1] */
};

/* The kind's own parts (the seed parts are added by the caller). */
typedef mtl_err (*parts_fn)(struct mtl_protocol_message *pm, const struct mtl_signed_entity_type *t,
                            const char *root);

struct kind_row {
    const char *name;
    enum beacon_shape shape;
    unsigned signed_offset; /* signed during beacon epoch + this */
    int hash_index;         /* its id goes into the certificate hash first */
    int has_root;           /* its parts include the view's Merkle root */
    parts_fn parts;         /* NULL: legacy, never signed */
};

static mtl_err set_u64_part(struct mtl_protocol_message *pm, const char *key, uint64_t v)
{
    char s[24];
    snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
    return mtl_protocol_message_set(pm, key, s);
}

/* Signable builders of the reference (mithril-common signable_builder/, one file per kind). */
static mtl_err msd_parts(struct mtl_protocol_message *pm, const struct mtl_signed_entity_type *t,
                         const char *root)
{
    (void)pm, (void)t, (void)root;
    return MTL_OK; /* the seed parts only */
}

static mtl_err csd_parts(struct mtl_protocol_message *pm, const struct mtl_signed_entity_type *t,
                         const char *root)
{
    MTL_TRY(set_u64_part(pm, "cardano_stake_distribution_epoch", t->epoch));
    return mtl_protocol_message_set(pm, "cardano_stake_distribution_merkle_root", root);
}

static mtl_err ctx_parts(struct mtl_protocol_message *pm, const struct mtl_signed_entity_type *t,
                         const char *root)
{
    MTL_TRY(mtl_protocol_message_set(pm, "cardano_transactions_merkle_root", root));
    return set_u64_part(pm, "latest_block_number", t->a);
}

static mtl_err cdb_parts(struct mtl_protocol_message *pm, const struct mtl_signed_entity_type *t,
                         const char *root)
{
    (void)t;
    return mtl_protocol_message_set(pm, "cardano_database_merkle_root", root);
}

static mtl_err cblk_parts(struct mtl_protocol_message *pm, const struct mtl_signed_entity_type *t,
                          const char *root)
{
    MTL_TRY(mtl_protocol_message_set(pm, "cardano_blocks_transactions_merkle_root", root));
    MTL_TRY(set_u64_part(pm, "latest_block_number", t->a));
    return set_u64_part(pm, "cardano_blocks_transactions_block_number_offset", t->b);
}

/* Indexed by enum mtl_signed_entity_kind. */
static const struct kind_row KINDS[MTL_SET_KIND_COUNT] = {
    [MTL_SET_MITHRIL_STAKE_DISTRIBUTION] = {"MithrilStakeDistribution", BEACON_EPOCH, 0, 0, 0,
                                            msd_parts},
    [MTL_SET_CARDANO_STAKE_DISTRIBUTION] = {"CardanoStakeDistribution", BEACON_EPOCH, 1, 0, 1,
                                            csd_parts},
    [MTL_SET_CARDANO_IMMUTABLE_FILES_FULL] = {"CardanoImmutableFilesFull", BEACON_DB, 0, 0, 0,
                                              NULL},
    [MTL_SET_CARDANO_TRANSACTIONS] = {"CardanoTransactions", BEACON_BLOCK, 0, 0, 1, ctx_parts},
    [MTL_SET_CARDANO_DATABASE] = {"CardanoDatabase", BEACON_DB, 0, 0, 1, cdb_parts},
    [MTL_SET_CARDANO_BLOCKS_TRANSACTIONS] = {"CardanoBlocksTransactions", BEACON_BLOCK_OFFSET, 0, 1,
                                             1, cblk_parts},
};

static const struct kind_row *row_of(enum mtl_signed_entity_kind k)
{
    return (unsigned)k < MTL_SET_KIND_COUNT ? &KINDS[k] : NULL;
}

const char *mtl_signed_entity_kind_name(enum mtl_signed_entity_kind k)
{
    const struct kind_row *r = row_of(k);
    return r ? r->name : "Unknown";
}

int mtl_signed_entity_kind_is_signable(enum mtl_signed_entity_kind k)
{
    const struct kind_row *r = row_of(k);
    return r && r->parts;
}

mtl_err mtl_signed_entity_kind_parse(enum mtl_signed_entity_kind *k, const char *name, size_t len)
{
    for (unsigned i = 0; i < MTL_SET_KIND_COUNT; i++) {
        if (strlen(KINDS[i].name) == len && memcmp(KINDS[i].name, name, len) == 0) {
            *k = (enum mtl_signed_entity_kind)i;
            return MTL_OK;
        }
    }
    char names[256] = "";
    for (unsigned i = 0; i < MTL_SET_KIND_COUNT; i++)
        if (KINDS[i].parts) /* the legacy kind is not suggested */
            snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
                     names[0] ? ", " : "", KINDS[i].name);
    return mtl_seterr(MTL_ERR_BAD_ENCODING,
                      "signed entity type '%.*s': unknown (expected exactly one of %s)",
                      (int)(len > 64 ? 64 : len), name, names);
}

mtl_err mtl_signed_entity_kinds_parse(unsigned *mask, const char *list)
{
    *mask = 0;
    unsigned m = 0;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        const char *s = p, *e = p + n;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        p += n + (p[n] == ',');
        if (s == e)
            continue;
        enum mtl_signed_entity_kind k;
        MTL_TRY(mtl_signed_entity_kind_parse(&k, s, (size_t)(e - s)));
        MTL_CHECK(KINDS[k].parts, MTL_ERR_BAD_ENCODING,
                  "signed entity type '%s': legacy, no longer signed", KINDS[k].name);
        m |= MTL_SET_BIT(k);
    }
    *mask = m;
    return MTL_OK;
}

/* ---- beacons ----------------------------------------------------------------- */

static mtl_err u64_of(uint64_t *out, const json_t *v, const char *kind, const char *what)
{
    MTL_CHECK(json_is_integer(v) && json_integer_value(v) >= 0, MTL_ERR_BAD_ENCODING,
              "signed_entity_type.%s: %s is not a non-negative integer", kind, what);
    *out = (uint64_t)json_integer_value(v);
    return MTL_OK;
}

static mtl_err beacon_from_json(struct mtl_signed_entity_type *t, const struct kind_row *r,
                                const json_t *v)
{
    switch (r->shape) {
    case BEACON_EPOCH:
        return u64_of(&t->epoch, v, r->name, "epoch");
    case BEACON_DB:
        MTL_CHECK(json_is_object(v) && json_object_size(v) == 2, MTL_ERR_BAD_ENCODING,
                  "signed_entity_type.%s: expected {\"epoch\":..,\"immutable_file_number\":..}",
                  r->name);
        MTL_TRY(u64_of(&t->epoch, json_object_get(v, "epoch"), r->name, "epoch"));
        return u64_of(&t->a, json_object_get(v, "immutable_file_number"), r->name,
                      "immutable_file_number");
    case BEACON_BLOCK:
    case BEACON_BLOCK_OFFSET: {
        size_t want = r->shape == BEACON_BLOCK ? 2 : 3;
        MTL_CHECK(json_is_array(v) && json_array_size(v) == want, MTL_ERR_BAD_ENCODING,
                  "signed_entity_type.%s: expected an array of %zu integers", r->name, want);
        MTL_TRY(u64_of(&t->epoch, json_array_get(v, 0), r->name, "epoch"));
        MTL_TRY(u64_of(&t->a, json_array_get(v, 1), r->name, "block_number"));
        return want == 3 ? u64_of(&t->b, json_array_get(v, 2), r->name, "block_number_offset")
                         : MTL_OK;
    }
    }
    return mtl_seterr(MTL_ERR_INTERNAL, "signed_entity_type: bad beacon shape");
}

mtl_err set_from_json(struct mtl_signed_entity_type *t, const json_t *j)
{
    memset(t, 0, sizeof(*t));
    MTL_CHECK(json_is_object(j) && json_object_size(j) == 1, MTL_ERR_BAD_ENCODING,
              "signed_entity_type: expected an object with one member, the kind");
    void *it = json_object_iter((json_t *)j);
    const char *name = json_object_iter_key(it);
    enum mtl_signed_entity_kind k;
    MTL_TRY(mtl_signed_entity_kind_parse(&k, name, strlen(name)));
    t->kind = k;
    mtl_err e = beacon_from_json(t, &KINDS[k], json_object_iter_value(it));
    if (e != MTL_OK)
        memset(t, 0, sizeof(*t));
    return e;
}

mtl_err mtl_signed_entity_type_from_json(struct mtl_signed_entity_type *t, const char *json,
                                         size_t len)
{
    memset(t, 0, sizeof(*t));
    json_error_t err;
    json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
    MTL_CHECK(j, MTL_ERR_BAD_ENCODING, "signed_entity_type: not JSON (%s)", err.text);
    mtl_err e = set_from_json(t, j);
    json_decref(j);
    return e;
}

json_t *set_to_json(const struct mtl_signed_entity_type *t)
{
    const struct kind_row *r = row_of(t->kind);
    if (!r)
        return NULL;
    json_t *v = NULL;
    switch (r->shape) {
    case BEACON_EPOCH:
        v = json_integer((json_int_t)t->epoch);
        break;
    case BEACON_DB:
        v = json_pack("{s:I,s:I}", "epoch", (json_int_t)t->epoch, "immutable_file_number",
                      (json_int_t)t->a);
        break;
    case BEACON_BLOCK:
        v = json_pack("[II]", (json_int_t)t->epoch, (json_int_t)t->a);
        break;
    case BEACON_BLOCK_OFFSET:
        v = json_pack("[III]", (json_int_t)t->epoch, (json_int_t)t->a, (json_int_t)t->b);
        break;
    }
    return v ? json_pack("{s:o}", r->name, v) : NULL;
}

mtl_err mtl_signed_entity_type_to_json(const struct mtl_signed_entity_type *t, char **json)
{
    *json = NULL;
    MTL_CHECK(row_of(t->kind), MTL_ERR_INVALID_ARG, "signed entity type: unknown kind %d",
              (int)t->kind);
    json_t *j = set_to_json(t);
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    MTL_CHECK(s, MTL_ERR_NOMEM, "signed entity type: out of memory");
    *json = mtl_strdup(s);
    free(s);
    MTL_CHECK(*json, MTL_ERR_NOMEM, "signed entity type: out of memory");
    return MTL_OK;
}

int mtl_signed_entity_type_equal(const struct mtl_signed_entity_type *a,
                                 const struct mtl_signed_entity_type *b)
{
    const struct kind_row *r = row_of(a->kind);
    if (!r || a->kind != b->kind || a->epoch != b->epoch)
        return 0;
    if (r->shape != BEACON_EPOCH && a->a != b->a)
        return 0;
    return r->shape != BEACON_BLOCK_OFFSET || a->b == b->b;
}

uint64_t mtl_signed_entity_signed_epoch(const struct mtl_signed_entity_type *t)
{
    const struct kind_row *r = row_of(t->kind);
    return t->epoch + (r ? r->signed_offset : 0);
}

/* The reference's SignedEntityType::feed_hash. */
void set_feed_hash(crypto_hash_sha256_state *ctx, const struct mtl_signed_entity_type *t)
{
    const struct kind_row *r = row_of(t->kind);
    uint8_t be[8];
    if (r && r->hash_index) {
        uint8_t id[2] = {0, (uint8_t)t->kind}; /* SignedEntityTypeId is a u16 */
        crypto_hash_sha256_update(ctx, id, 2);
    }
    mtl_be64_put(be, t->epoch);
    crypto_hash_sha256_update(ctx, be, 8);
    if (r && r->shape != BEACON_EPOCH) {
        mtl_be64_put(be, t->a);
        crypto_hash_sha256_update(ctx, be, 8);
    }
    if (r && r->shape == BEACON_BLOCK_OFFSET) {
        mtl_be64_put(be, t->b);
        crypto_hash_sha256_update(ctx, be, 8);
    }
}

/* ---- the signable message ------------------------------------------------------ */

/* 64 lower-case hex digits; any even number of them when any_len (the
 * root of a one-leaf MKTree is the leaf itself). */
static int is_root(const char *s, int any_len)
{
    size_t n = s ? strlen(s) : 0;
    if (any_len ? n == 0 || n % 2 : n != 64)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

mtl_err mtl_signed_entity_message(struct mtl_protocol_message **out,
                                  const struct mtl_signed_entity_type *t,
                                  const struct mtl_signed_entity_view *v)
{
    *out = NULL;
    const struct kind_row *r = row_of(t->kind);
    MTL_CHECK(r, MTL_ERR_INVALID_ARG, "signed entity type: unknown kind %d", (int)t->kind);
    MTL_CHECK(r->parts, MTL_ERR_INVALID_ARG, "%s: legacy, not signed any more", r->name);
    MTL_CHECK(v->next_avk && *v->next_avk, MTL_ERR_INVALID_ARG,
              "%s message: the chain view has no next AVK", r->name);
    MTL_CHECK(v->next_params, MTL_ERR_INVALID_ARG,
              "%s message: the chain view has no next protocol parameters", r->name);
    MTL_CHECK(!r->has_root ||
                  is_root(v->merkle_root, t->kind == MTL_SET_CARDANO_STAKE_DISTRIBUTION),
              MTL_ERR_INVALID_ARG,
              "%s message: the chain view's Merkle root is %s", r->name,
              v->merkle_root ? "not 64 lower-case hex digits" : "missing");
    MTL_CHECK(r->has_root || !v->merkle_root, MTL_ERR_INVALID_ARG,
              "%s message: has no Merkle root, one was given", r->name);
    char params_hash[MTL_HASH_HEX_BYTES];
    mtl_protocol_parameters_hash(v->next_params, params_hash);
    struct mtl_protocol_message *pm = NULL;
    MTL_TRY(mtl_protocol_message_new(&pm));
    mtl_err e = r->parts(pm, t, v->merkle_root);
    if (e == MTL_OK)
        e = mtl_protocol_message_set(pm, "next_aggregate_verification_key", v->next_avk);
    if (e == MTL_OK)
        e = mtl_protocol_message_set(pm, "next_protocol_parameters", params_hash);
    if (e == MTL_OK)
        e = set_u64_part(pm, "current_epoch", mtl_signed_entity_signed_epoch(t));
    if (e != MTL_OK) {
        mtl_protocol_message_free(pm);
        return e;
    }
    *out = pm;
    return MTL_OK;
}
