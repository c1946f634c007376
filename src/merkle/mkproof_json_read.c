/* mkproof_json_read.c - decoding the v1 wire form (hex of the serde JSON of
 * an MKMapProof, shape in mkproof_json.c) with a reader made for it. Nodes
 * are arrays of byte numbers: a general JSON parser built one value per
 * byte, which was most of the verification of a 100-transaction v1
 * message. JSON grammar; fields in any order; unknown fields skipped (any
 * JSON value, the UTF-8 of their strings unchecked); a known field twice
 * refused; numbers are plain unsigned integers ("-0", "1.0" refused). Keys
 * are compared as written (serde writes none with escapes). */
#include <string.h>

#include "merkle_int.h"

#define JR_MAX_DEPTH 64 /* nesting of a skipped value */

struct jr {
    const char *p;
    size_t len, pos;
    struct mtl_buf bytes; /* the node being read */
};

static void ws(struct jr *r)
{
    for (; r->pos < r->len; r->pos++) {
        char c = r->p[r->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return;
    }
}

static mtl_err bad(const struct jr *r, const char *what)
{
    return mtl_seterr(MTL_ERR_BAD_ENCODING, "merkle proof: invalid JSON: %s at byte %zu", what,
                      r->pos);
}

static bool eat(struct jr *r, char c)
{
    ws(r);
    if (r->pos < r->len && r->p[r->pos] == c) {
        r->pos++;
        return true;
    }
    return false;
}

static mtl_err expect(struct jr *r, char c, const char *where)
{
    if (eat(r, c))
        return MTL_OK;
    return mtl_seterr(MTL_ERR_BAD_ENCODING, "merkle proof: %s: expected '%c' at byte %zu", where, c,
                      r->pos);
}

static bool is_digit(const struct jr *r)
{
    return r->pos < r->len && r->p[r->pos] >= '0' && r->p[r->pos] <= '9';
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string: its raw content between the quotes (escapes checked, not decoded). */
static mtl_err string(struct jr *r, const char **s, size_t *n)
{
    ws(r);
    if (r->pos >= r->len || r->p[r->pos] != '"')
        return bad(r, "expected a string");
    size_t start = ++r->pos;
    while (r->pos < r->len) {
        unsigned char c = (unsigned char)r->p[r->pos];
        if (c == '"') {
            *s = r->p + start;
            *n = r->pos++ - start;
            return MTL_OK;
        }
        if (c < 0x20)
            return bad(r, "control character in a string");
        if (c == '\\') {
            if (++r->pos >= r->len)
                break;
            c = (unsigned char)r->p[r->pos];
            if (c == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (r->pos + (size_t)i >= r->len || !is_hex(r->p[r->pos + (size_t)i]))
                        return bad(r, "bad \\u escape");
                r->pos += 4;
            } else if (!c || !strchr("\"\\/bfnrt", c)) {
                return bad(r, "bad escape");
            }
        }
        r->pos++;
    }
    return bad(r, "unterminated string");
}

/* A number (JSON grammar); *plain: an integer without sign, fraction or
 * exponent that fits in int64, its value in *v. */
static mtl_err number(struct jr *r, bool *plain, uint64_t *v)
{
    ws(r);
    bool neg = r->pos < r->len && r->p[r->pos] == '-', over = false;
    r->pos += neg;
    if (!is_digit(r))
        return bad(r, "expected a number");
    uint64_t x = 0;
    if (r->p[r->pos] == '0')
        r->pos++;
    else
        for (; is_digit(r); r->pos++) {
            unsigned d = (unsigned)(r->p[r->pos] - '0');
            over |= x > ((uint64_t)INT64_MAX - d) / 10;
            x = over ? x : x * 10 + d;
        }
    *plain = !neg && !over;
    if (r->pos < r->len && r->p[r->pos] == '.') {
        r->pos++;
        if (!is_digit(r))
            return bad(r, "expected a digit");
        while (is_digit(r))
            r->pos++;
        *plain = false;
    }
    if (r->pos < r->len && (r->p[r->pos] == 'e' || r->p[r->pos] == 'E')) {
        r->pos++;
        if (r->pos < r->len && (r->p[r->pos] == '+' || r->p[r->pos] == '-'))
            r->pos++;
        if (!is_digit(r))
            return bad(r, "expected a digit");
        while (is_digit(r))
            r->pos++;
        *plain = false;
    }
    *v = x;
    return MTL_OK;
}

static mtl_err u64_of(struct jr *r, uint64_t *out, const char *field)
{
    bool plain = false;
    MTL_TRY(number(r, &plain, out));
    MTL_CHECK(plain, MTL_ERR_BAD_ENCODING, "merkle proof: %s is not an unsigned integer", field);
    return MTL_OK;
}

/* Any value (an unknown field's). */
static mtl_err skip(struct jr *r, unsigned depth)
{
    static const char *const lit[] = {"true", "false", "null"};
    const char *s;
    size_t n;
    MTL_CHECK(depth < JR_MAX_DEPTH, MTL_ERR_BAD_ENCODING,
              "merkle proof: an unknown field nests deeper than %d", JR_MAX_DEPTH);
    ws(r);
    char c = r->pos < r->len ? r->p[r->pos] : 0;
    if (c == '"')
        return string(r, &s, &n);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        r->pos++;
        if (eat(r, close))
            return MTL_OK;
        do {
            if (c == '{') {
                MTL_TRY(string(r, &s, &n));
                MTL_TRY(expect(r, ':', "an unknown field"));
            }
            MTL_TRY(skip(r, depth + 1));
        } while (eat(r, ','));
        return expect(r, close, "an unknown field");
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        bool plain;
        uint64_t v;
        return number(r, &plain, &v);
    }
    for (size_t i = 0; i < MTL_ARRAY_LEN(lit); i++)
        if (r->len - r->pos >= strlen(lit[i]) && !memcmp(r->p + r->pos, lit[i], strlen(lit[i]))) {
            r->pos += strlen(lit[i]);
            return MTL_OK;
        }
    return bad(r, "expected a value");
}

/* An object whose fields keys[0..n) must all be there once each, read by
 * field(r, ctx, index); others skipped. */
typedef mtl_err (*field_fn)(struct jr *r, void *ctx, size_t which);

static mtl_err object(struct jr *r, const char *what, const char *const *keys, size_t nkeys,
                      field_fn field, void *ctx)
{
    unsigned seen = 0;
    MTL_TRY(expect(r, '{', what));
    if (!eat(r, '}')) {
        do {
            const char *k;
            size_t n, i = 0;
            MTL_TRY(string(r, &k, &n));
            MTL_TRY(expect(r, ':', what));
            while (i < nkeys && !(strlen(keys[i]) == n && !memcmp(keys[i], k, n)))
                i++;
            if (i == nkeys) {
                MTL_TRY(skip(r, 0));
                continue;
            }
            MTL_CHECK(!(seen >> i & 1), MTL_ERR_BAD_ENCODING, "merkle proof: %s: %s twice", what,
                      keys[i]);
            seen |= 1u << i;
            MTL_TRY(field(r, ctx, i));
        } while (eat(r, ','));
        MTL_TRY(expect(r, '}', what));
    }
    for (size_t i = 0; i < nkeys; i++)
        MTL_CHECK(seen >> i & 1, MTL_ERR_BAD_ENCODING, "merkle proof: %s has no %s", what, keys[i]);
    return MTL_OK;
}

struct node_ctx {
    struct mk_node *n;
    const char *what;
};

static mtl_err hash_field(struct jr *r, void *ctx, size_t which)
{
    const struct node_ctx *c = ctx;
    (void)which;
    r->bytes.len = 0;
    MTL_TRY(expect(r, '[', c->what));
    if (!eat(r, ']')) {
        do {
            bool plain = false;
            uint64_t v = 0;
            MTL_TRY(number(r, &plain, &v));
            MTL_CHECK(plain && v <= 255, MTL_ERR_BAD_ENCODING,
                      "merkle proof: %s byte %zu is not a number 0..255", c->what, r->bytes.len);
            uint8_t b = (uint8_t)v;
            MTL_TRY(mtl_buf_append(&r->bytes, &b, 1));
        } while (eat(r, ','));
        MTL_TRY(expect(r, ']', c->what));
    }
    return mk_node_set(c->n, r->bytes.data, r->bytes.len);
}

/* {"hash":[..]} into n (left empty on error). */
static mtl_err node(struct jr *r, struct mk_node *n, const char *what)
{
    static const char *const keys[] = {"hash"};
    struct node_ctx c = {n, what};
    mtl_err rc = object(r, what, keys, 1, hash_field, &c);
    if (rc != MTL_OK) {
        mtl_free(n->b);
        memset(n, 0, sizeof(*n));
    }
    return rc;
}

/* Room for element n of an array whose capacity is n rounded up to a
 * power of two, at least 8 (grown by doubling). */
static mtl_err grow(void **a, size_t size, size_t n)
{
    if (n != 0 && (n < 8 || (n & (n - 1)) != 0))
        return MTL_OK;
    void *q = mtl_realloc(*a, (n ? 2 * n : 8) * size);
    MTL_CHECK(q, MTL_ERR_NOMEM, "merkle proof: out of memory");
    *a = q;
    return MTL_OK;
}

static mtl_err leaves_field(struct jr *r, struct mk_proof *p)
{
    MTL_TRY(expect(r, '[', "inner_leaves"));
    if (eat(r, ']'))
        return MTL_OK;
    do {
        size_t i = p->nleaves;
        MTL_TRY(grow((void **)&p->pos, sizeof(*p->pos), i));
        MTL_TRY(grow((void **)&p->leaves, sizeof(*p->leaves), i));
        MTL_TRY(expect(r, '[', "an inner_leaves pair"));
        MTL_TRY(u64_of(r, &p->pos[i], "a leaf position"));
        MTL_TRY(expect(r, ',', "an inner_leaves pair"));
        p->leaves[i] = (struct mk_node){0};
        MTL_TRY(node(r, &p->leaves[i], "a leaf"));
        p->nleaves++;
        MTL_TRY(expect(r, ']', "an inner_leaves pair"));
    } while (eat(r, ','));
    return expect(r, ']', "inner_leaves");
}

static mtl_err items_field(struct jr *r, struct mk_proof *p)
{
    MTL_TRY(expect(r, '[', "inner_proof_items"));
    if (eat(r, ']'))
        return MTL_OK;
    do {
        MTL_TRY(grow((void **)&p->items, sizeof(*p->items), p->nitems));
        p->items[p->nitems] = (struct mk_node){0};
        MTL_TRY(node(r, &p->items[p->nitems], "a proof item"));
        p->nitems++;
    } while (eat(r, ','));
    return expect(r, ']', "inner_proof_items");
}

static mtl_err proof_field(struct jr *r, void *ctx, size_t which)
{
    struct mk_proof *p = ctx;
    switch (which) {
    case 0:
        return node(r, &p->root, "inner_root");
    case 1:
        return leaves_field(r, p);
    case 2:
        return u64_of(r, &p->size, "inner_proof_size");
    default:
        return items_field(r, p);
    }
}

static mtl_err range_bound(struct jr *r, void *ctx, size_t which)
{
    struct mk_sub *s = ctx;
    return which == 0 ? u64_of(r, &s->start, "a range start") : u64_of(r, &s->end, "a range end");
}

static mtl_err range_field(struct jr *r, void *ctx, size_t which)
{
    static const char *const keys[] = {"start", "end"};
    (void)which;
    return object(r, "inner_range", keys, 2, range_bound, ctx);
}

static mtl_err map(struct jr *r, struct mtl_mkproof *m, unsigned depth);

static mtl_err subs_field(struct jr *r, struct mtl_mkproof *m, unsigned depth)
{
    static const char *const keys[] = {"inner_range"};
    MTL_TRY(expect(r, '[', "sub_proofs"));
    if (eat(r, ']'))
        return MTL_OK;
    do {
        MTL_TRY(grow((void **)&m->subs, sizeof(*m->subs), m->nsub));
        struct mk_sub *s = &m->subs[m->nsub];
        *s = (struct mk_sub){0};
        MTL_TRY(expect(r, '[', "a sub_proofs pair"));
        MTL_TRY(object(r, "a sub-proof's range", keys, 1, range_field, s));
        MTL_TRY(expect(r, ',', "a sub_proofs pair"));
        s->proof = mk_map_new();
        MTL_CHECK(s->proof, MTL_ERR_NOMEM, "merkle proof: out of memory");
        m->nsub++;
        MTL_TRY(map(r, s->proof, depth + 1));
        MTL_TRY(expect(r, ']', "a sub_proofs pair"));
    } while (eat(r, ','));
    return expect(r, ']', "sub_proofs");
}

struct map_ctx {
    struct mtl_mkproof *m;
    unsigned depth;
};

static mtl_err map_field(struct jr *r, void *ctx, size_t which)
{
    static const char *const keys[] = {"inner_root", "inner_leaves", "inner_proof_size",
                                       "inner_proof_items"};
    struct map_ctx *c = ctx;
    if (which == 0)
        return object(r, "master_proof", keys, MTL_ARRAY_LEN(keys), proof_field, &c->m->master);
    return subs_field(r, c->m, c->depth);
}

static mtl_err map(struct jr *r, struct mtl_mkproof *m, unsigned depth)
{
    static const char *const keys[] = {"master_proof", "sub_proofs"};
    MTL_CHECK(depth < MTL_MKPROOF_MAX_DEPTH, MTL_ERR_BAD_ENCODING,
              "merkle proof: sub-proofs nested deeper than %d", MTL_MKPROOF_MAX_DEPTH);
    struct map_ctx c = {m, depth};
    return object(r, "a map proof", keys, 2, map_field, &c);
}

mtl_err mtl_mkproof_from_json_hex(struct mtl_mkproof **out, const char *hex, size_t len)
{
    MTL_CHECK(out, MTL_ERR_INVALID_ARG, "merkle proof: NULL argument");
    *out = NULL;
    uint8_t *text;
    struct jr r = {0};
    MTL_TRY(mk_hex_bytes(&text, &r.len, hex, len));
    r.p = (const char *)text;
    mtl_buf_init(&r.bytes, SIZE_MAX);
    struct mtl_mkproof *m = mk_map_new();
    mtl_err rc = m ? map(&r, m, 0) : mtl_seterr(MTL_ERR_NOMEM, "merkle proof: out of memory");
    ws(&r);
    if (rc == MTL_OK && r.pos != r.len)
        rc = bad(&r, "text after the proof");
    mtl_buf_free(&r.bytes);
    mtl_free(text);
    if (rc != MTL_OK) {
        mtl_mkproof_free(m);
        return rc;
    }
    *out = m;
    return MTL_OK;
}
