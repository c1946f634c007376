/* test_merkle_json.c - the v1 (JSON-hex) proof reader: an honest map proof
 * reformatted (indented, keys reordered, unknown fields of every JSON type
 * added everywhere) decodes to the same proof; each malformed variant of
 * its text (a known field twice or missing, bytes out of 0..255, signs,
 * fractions, exponents, leading zeros, trailing commas or text, broken
 * strings, escapes, literals, runaway nesting) is refused. */
#include <jansson.h>
#include <stdio.h>

#include "harness.h"
#include "merkle/merkle_int.h"

/* A map proof of 3 ranges (leaves "r<range>-<i>"), 2 leaves proven in each. */
static struct mtl_mkproof *map_proof(void)
{
    struct mtl_mktree *map = NULL, *t = NULL;
    struct mtl_mkproof *master = NULL, *subs[3] = {0};
    uint64_t idx[2] = {1, 6}, ranges[3] = {0, 2, 5};
    mtl_mktree_new(&map);
    for (uint64_t r = 0; r < 8; r++) {
        mtl_mktree_new(&t);
        for (int i = 0; i < 11; i++) {
            char leaf[32];
            int n = snprintf(leaf, sizeof(leaf), "r%llu-%d", (unsigned long long)r, i);
            mtl_mktree_append(t, leaf, (size_t)n);
        }
        uint8_t root[32], node[32];
        size_t len = 0;
        mtl_mktree_root(t, root, sizeof(root), &len);
        mtl_mkmap_leaf(node, 15 * r, 15 * r + 15, root, len);
        mtl_mktree_append(map, node, sizeof(node));
        for (size_t k = 0; k < 3; k++)
            if (ranges[k] == r && mtl_mktree_prove(&subs[k], t, idx, 2) != MTL_OK)
                subs[k] = NULL;
        mtl_mktree_free(t);
    }
    if (mtl_mktree_prove(&master, map, ranges, 3) != MTL_OK)
        master = NULL;
    for (size_t k = 0; k < 3; k++)
        if (!master || !subs[k] ||
            mtl_mkproof_add_sub(master, 15 * ranges[k], 15 * ranges[k] + 15, subs[k]) != MTL_OK) {
            mtl_mkproof_free(master);
            master = NULL;
        }
    mtl_mktree_free(map);
    return master;
}

/* The JSON text of an honest proof's v1 form (free()). */
static char *honest_text(char **hex)
{
    struct mtl_mkproof *p = map_proof();
    char *text = NULL;
    size_t n = 0;
    if (!p || mtl_mkproof_verify(p) != MTL_OK || mtl_mkproof_to_json_hex(p, hex) != MTL_OK)
        return NULL;
    uint8_t *bytes = NULL;
    if (mtl_hex_decode_alloc(&bytes, &n, *hex, strlen(*hex)) == MTL_OK) {
        text = calloc(1, n + 1);
        memcpy(text, bytes, n);
    }
    mtl_free(bytes);
    mtl_mkproof_free(p);
    return text;
}

/* Decode JSON text through the hex wire form: the error, and when it
 * decodes, the re-encoded hex in *again (mtl_free). */
static mtl_err decode_text(const char *text, char **again)
{
    char *hex = NULL;
    struct mtl_mkproof *p = NULL;
    *again = NULL;
    if (mtl_hex_encode_alloc(&hex, (const uint8_t *)text, strlen(text)) != MTL_OK)
        return MTL_ERR_NOMEM;
    mtl_err rc = mtl_mkproof_from_json_hex(&p, hex, strlen(hex));
    if (rc == MTL_OK)
        rc = mtl_mkproof_to_json_hex(p, again);
    mtl_mkproof_free(p);
    mtl_free(hex);
    return rc;
}

/* Every object gets a field of its own that the reader must skip. */
static void add_unknown(json_t *j)
{
    size_t i;
    json_t *v;
    if (json_is_array(j))
        json_array_foreach(j, i, v) add_unknown(v);
    if (!json_is_object(j))
        return;
    const char *k;
    json_object_foreach(j, k, v) add_unknown(v);
    json_object_set_new(j, "zz_unknown",
                        json_pack("{s:s,s:[f,i,b,b,n,{},[]],s:{s:[[]]}}", "s", "a\"\\\n\xc3\xa9/",
                                  "n", -1.5e-3, 0, 1, 0, "deep", "x"));
}

TEST(reformatted_proof_decodes_the_same)
{
    char *hex = NULL, *again = NULL;
    char *text = honest_text(&hex);
    CHECK(text != NULL);
    CHECK_OK(decode_text(text, &again));
    CHECK_EQ_STR(again, hex);
    mtl_free(again);
    json_t *j = json_loads(text, 0, NULL);
    CHECK(j != NULL);
    add_unknown(j);
    /* indented, keys sorted: "end" before "start", "inner_leaves" first */
    char *pretty = json_dumps(j, JSON_INDENT(3) | JSON_SORT_KEYS);
    CHECK(strstr(pretty, "zz_unknown") && strstr(pretty, "\"end\"") < strstr(pretty, "\"start\""));
    CHECK_OK(decode_text(pretty, &again));
    CHECK_EQ_STR(again, hex);
    mtl_free(again);
    free(pretty);
    json_decref(j);
    free(text);
    mtl_free(hex);
}

/* text with the first `from` replaced by `to` (free()). */
static char *edit(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    if (!at)
        return NULL;
    size_t n = strlen(text) + strlen(to) + 1;
    char *out = malloc(n);
    snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    return out;
}

TEST(malformed_text_is_refused)
{
    char *hex = NULL, *again = NULL;
    char *text = honest_text(&hex);
    CHECK(text != NULL);
    static const char *const bad[][2] = {
        {"{\"hash\":[", "{\"hash\":[1],\"hash\":["},         /* a known field twice */
        {"\"inner_proof_size\":", "\"inner_proof_sizes\":"}, /* then missing */
        {"{\"hash\":[", "{\"hash\":[256,"},
        {"{\"hash\":[", "{\"hash\":[-1,"},
        {"{\"hash\":[", "{\"hash\":[1.0,"},
        {"{\"hash\":[", "{\"hash\":[1e1,"},
        {"{\"hash\":[", "{\"hash\":[01,"},
        {"{\"hash\":[", "{\"hash\":[,"},
        {"]}", ",]}"},
        {"\"inner_proof_size\":", "\"inner_proof_size\":-"},
        {"\"inner_proof_size\":", "\"inner_proof_size\":9223372036854775808,\"x\":"},
        {"\"start\":", "\"start\":\"0\",\"x\":"},
        {"{\"master_proof\"", "{\"x\":\"abc"},
        {"{\"master_proof\"", "{\"x\":\"\\q\",\"master_proof\""},
        {"{\"master_proof\"", "{\"x\":\"\\u12g4\",\"master_proof\""},
        {"{\"master_proof\"", "{\"x\":\"a\x01\",\"master_proof\""},
        {"{\"master_proof\"", "{\"x\":tru,\"master_proof\""},
        {"{\"master_proof\"", "{\"x\":[1 2],\"master_proof\""},
        {"{\"master_proof\"", "{\"x\":{\"a\"},\"master_proof\""},
        {"{\"master_proof\"", "{\"x\":-,\"master_proof\""},
        {"{\"master_proof\"", "{x:1,\"master_proof\""},
        {"{\"master_proof\"", NULL}, /* an unknown field nesting 80 arrays */
    };
    for (size_t i = 0; i < MTL_ARRAY_LEN(bad); i++) {
        char deep[200];
        snprintf(
            deep, sizeof(deep), "{\"x\":%.80s%.80s,\"master_proof\"",
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
            "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
        char *t = edit(text, bad[i][0], bad[i][1] ? bad[i][1] : deep);
        CHECK(t != NULL);
        mtl_err rc = decode_text(t, &again);
        if (rc != MTL_ERR_BAD_ENCODING)
            fprintf(stderr, "variant %zu accepted: %.120s\n", i, t);
        CHECK_ERR(rc, MTL_ERR_BAD_ENCODING);
        CHECK(again == NULL);
        free(t);
    }
    /* text around the proof, or cut short */
    size_t n = strlen(text);
    char *t = malloc(n + 4);
    snprintf(t, n + 4, "%s{}", text);
    CHECK_ERR(decode_text(t, &again), MTL_ERR_BAD_ENCODING);
    t[n - 1] = 0;
    CHECK_ERR(decode_text(t, &again), MTL_ERR_BAD_ENCODING);
    /* what the grammar allows is accepted */
    snprintf(t, n + 4, " %s\n", text);
    CHECK_OK(decode_text(t, &again));
    CHECK_EQ_STR(again, hex);
    mtl_free(again);
    free(t);
    t = edit(text, "{\"master_proof\"",
             "{\"x\":[\"\\u00e9\\\"\",-0.5E+2,{\"master_proof\":1}],"
             "\"master_proof\"");
    CHECK_OK(decode_text(t, &again));
    CHECK_EQ_STR(again, hex);
    mtl_free(again);
    free(t);
    free(text);
    mtl_free(hex);
}

int main(void)
{
    mtl_init();
    RUN(reformatted_proof_decodes_the_same);
    RUN(malformed_text_is_refused);
    return DONE();
}
