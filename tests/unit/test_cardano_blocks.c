/* test_cardano_blocks.c - the block reader on real bytes: one block per era
 * (Byron, Shelley, Allegra, Mary, Alonzo, Conway; transaction counts and
 * hashes that pallas' own tests assert), the devnet ImmutableDB fragment
 * (the reference's transaction counts per chunk, every header hash checked
 * against the secondary index), the parsing_error samples and tampered
 * copies refused with errors naming the file and block; the CBOR skipper on
 * indefinite lengths, tags and floats; truncated blocks never crash. */
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardano/cardano_int.h"
#include "harness.h"

static const char *shared;
static struct mtl_block_decoder *dec;

static void hex32(char out[65], const uint8_t b[32])
{
    mtl_hex_encode(out, 65, b, 32);
}

/* A sample block (hex text) decoded to bytes (mtl_free). */
static uint8_t *sample(const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/reference-data/cardano-node-samples/blocks/%s.block", shared,
             name);
    uint8_t *text, *bytes = NULL;
    size_t n;
    if (mtl_read_file(path, 1 << 20, &text, &n) != MTL_OK)
        return NULL;
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        n--;
    if (mtl_hex_decode_alloc(&bytes, len, (const char *)text, n) != MTL_OK)
        bytes = NULL;
    mtl_free(text);
    return bytes;
}

struct era_case {
    const char *name;
    enum mtl_cardano_era era;
    uint64_t number, slot;
    size_t txs; /* pallas-traverse's tests assert these counts */
    const char *first_tx, *last_tx;
};

/* Transaction hashes: alonzo1's five are pallas' valid_hashes; byron2's
 * first is the mainnet transaction pallas-applying's Byron test names; the
 * others (and the numbers and slots) are what this decoder reads, kept as a
 * regression. */
static const struct era_case CASES[] = {
    {"byron2", MTL_ERA_BYRON, 3239842, 3241381, 2,
     "a06e5a0150e09f8983be2deafab9e04afc60d92e7110999eb672c903343f1e26",
     "f736d55633782151cd528f9918c3587155cbd59c46b6ca839e5b4860a780f379"},
    {"shelley1", MTL_ERA_SHELLEY, 4662237, 7948610, 4,
     "48347a50990c63680b9c4af9808bbca2e2e9782fe7f8b2f811ac6c51952863bc",
     "8ac3db74ed1f93b232c37e3e1a1509d1977cf65fd54a38c438273c1925dbfe6f"},
    {"allegra1", MTL_ERA_ALLEGRA, 5192804, 18748707, 3,
     "f811d6905239d0834d6f5b9322ad6e8abe38c420518e40ebc3549cbd4929472f",
     "1a6d30b4e0cc5df2d6bf8b37008e2c2f33c6713794c7d81f37aaf803094d405b"},
    {"mary1", MTL_ERA_MARY, 5616812, 27388606, 14,
     "39949ce990b150f7f1e5903114080ab6f8cca777c07ac76fcb32c2d9353fbf56",
     "abb24970824a7e34e560006c0965feb0a620436fcbf94ddc7c8d8e71038d26eb"},
    {"alonzo1", MTL_ERA_ALONZO, 3098772, 43381130, 5,
     "8ae0cd531635579a9b52b954a840782d12235251fb1451e5c699e864c677514a",
     "8838f5ab27894a6543255aeaec086f7b3405a6db6e7457a541409cdbbf0cd474"},
    {"conway1", MTL_ERA_CONWAY, 1093546, 22075282, 1,
     "ed8431dbe32cff36814ee838a7a002152d43a7465faaf05529907717c793527a",
     "ed8431dbe32cff36814ee838a7a002152d43a7465faaf05529907717c793527a"},
};

TEST(one_block_of_every_era_decodes)
{
    for (size_t i = 0; i < MTL_ARRAY_LEN(CASES); i++) {
        const struct era_case *c = &CASES[i];
        size_t len;
        uint8_t *b = sample(c->name, &len);
        CHECK(b);
        struct mtl_cardano_block blk;
        CHECK_OK(mtl_block_decode(dec, b, len, &blk));
        CHECK_EQ_INT(blk.era, c->era);
        CHECK_EQ_INT(blk.block_number, c->number);
        CHECK_EQ_INT(blk.slot, c->slot);
        CHECK_EQ_INT(blk.tx_count, c->txs);
        char h[65];
        hex32(h, blk.tx_hashes[0]);
        CHECK_EQ_STR(h, c->first_tx);
        hex32(h, blk.tx_hashes[blk.tx_count - 1]);
        CHECK_EQ_STR(h, c->last_tx);
        mtl_free(b);
    }
}

TEST(alonzo_hashes_are_pallas_ones)
{
    static const char *const want[5] = {
        "8ae0cd531635579a9b52b954a840782d12235251fb1451e5c699e864c677514a",
        "bb5bb4e1c09c02aa199c60e9f330102912e3ef977bb73ecfd8f790945c6091d4",
        "8cdd88042ddb6c800714fb1469fb1a1a93152aae3c87a81f2a3016f2ee5c664a",
        "10add6bdaa7ade06466bdd768456e756709090846b58bf473f240c484db517fa",
        "8838f5ab27894a6543255aeaec086f7b3405a6db6e7457a541409cdbbf0cd474"};
    size_t len;
    uint8_t *b = sample("alonzo1", &len);
    CHECK(b);
    struct mtl_cardano_block blk;
    CHECK_OK(mtl_block_decode(dec, b, len, &blk));
    for (size_t i = 0; i < 5; i++) {
        char h[65];
        hex32(h, blk.tx_hashes[i]);
        CHECK_EQ_STR(h, want[i]);
    }
    mtl_free(b);
}

TEST(truncated_and_altered_blocks_never_crash)
{
    for (size_t i = 0; i < MTL_ARRAY_LEN(CASES); i++) {
        size_t len;
        uint8_t *b = sample(CASES[i].name, &len);
        CHECK(b);
        struct mtl_cardano_block blk;
        size_t refused = 0;
        for (size_t n = 0; n < len; n += 7) /* ASan watches every read */
            refused += mtl_block_decode(dec, b, n, &blk) != MTL_OK;
        CHECK(refused > 0);
        CHECK_ERR(mtl_block_decode(dec, b, 3, &blk), MTL_ERR_BAD_ENCODING);
        CHECK(strstr(mtl_err_detail(), "ends early"));
        b[1] = 9; /* no era 9 */
        CHECK_ERR(mtl_block_decode(dec, b, len, &blk), MTL_ERR_BAD_ENCODING);
        CHECK(strstr(mtl_err_detail(), "era tag: 9 is no era"));
        mtl_free(b);
    }
}

/* One Conway-shaped block whose transaction bodies are an indefinite array
 * of odd but valid items: a tagged map, an indefinite byte string, a float. */
TEST(indefinite_lengths_tags_and_floats_are_walked)
{
    static const uint8_t body1[] = {
        0xd9, 0x01, 0x02, 0xa1, 0x00, 0x5f,
        0x41, 0xaa, 0x42, 0xbb, 0xcc, 0xff}; /* 258({0: (_ h'aa', h'bbcc')}) */
    static const uint8_t body2[] = {0x9f, 0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xf6, 0xff};
    uint8_t blk[256];
    size_t n = 0;
    static const uint8_t head[] = {0x82, 0x07, 0x85, 0x82, 0x8a, 0x01, 0x02};
    memcpy(blk, head, sizeof(head));
    n = sizeof(head);
    for (int i = 0; i < 8; i++) /* the other header_body fields */
        blk[n++] = 0x00;
    blk[n++] = 0x40; /* body_signature: empty bytes */
    blk[n++] = 0x9f;
    memcpy(blk + n, body1, sizeof(body1));
    n += sizeof(body1);
    memcpy(blk + n, body2, sizeof(body2));
    n += sizeof(body2);
    blk[n++] = 0xff;
    static const uint8_t tail[] = {0x80, 0xa0, 0x80};
    memcpy(blk + n, tail, sizeof(tail));
    n += sizeof(tail);
    struct mtl_cardano_block b;
    CHECK_OK(mtl_block_decode(dec, blk, n, &b));
    CHECK_EQ_INT(b.block_number, 1);
    CHECK_EQ_INT(b.slot, 2);
    CHECK_EQ_INT(b.tx_count, 2);
    uint8_t h[32];
    crypto_generichash(h, 32, body1, sizeof(body1), NULL, 0);
    CHECK_MEM(b.tx_hashes[0], h, 32);
    crypto_generichash(h, 32, body2, sizeof(body2), NULL, 0);
    CHECK_MEM(b.tx_hashes[1], h, 32);
    /* a break byte where an item belongs, and a reserved byte */
    size_t pos = 0;
    static const uint8_t brk[] = {0xff}, reserved[] = {0x1c};
    CHECK_ERR(mtl_cbor_skip(brk, 1, &pos, "t"), MTL_ERR_BAD_ENCODING);
    pos = 0;
    CHECK_ERR(mtl_cbor_skip(reserved, 1, &pos, "t"), MTL_ERR_BAD_ENCODING);
    /* nesting past the cap: 200 nested one-item arrays */
    uint8_t deep[201];
    memset(deep, 0x81, 200);
    deep[200] = 0x00;
    pos = 0;
    CHECK_ERR(mtl_cbor_skip(deep, sizeof(deep), &pos, "t"), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "nested deeper"));
}

/* The skipper's refusals, each at the byte that breaks the rule (the
 * skipper walks heads only, so each length is all that guards the input's
 * end), and nesting accepted up to the cap. */
struct skip_case {
    const char *hex;
    size_t end;        /* where an accepted item ends */
    const char *error; /* or what the refusal says */
};

static const struct skip_case SKIPS[] = {
    {"5901c0aabb", 0, "string of 448 bytes at offset 0 overruns"},
    {"9affffffff00", 0, "array of 4294967295 items at offset 0 overruns"},
    {"a3000102", 0, "map of 3 items at offset 0 overruns"},
    {"828100", 0, "ends early (offset 3, 1 levels deep)"},
    {"9f0102", 0, "ends early (offset 3, 1 levels deep)"},
    {"5f4161", 0, "ends inside a string"},
    {"5f6161ff", 0, "bad chunk of an indefinite CBOR string at offset 1"},
    {"1b0102", 0, "ends inside the head at offset 0"},
    {"c1", 0, "ends early (offset 1, 1 levels deep)"},
    {"82ff00", 0, "byte 0xff at offset 1 is not an item"},
    {"3f", 0, "byte 0x3f at offset 0 is not an item"},
    {"81fc", 0, "reserved CBOR byte 0xfc at offset 1"},
    {"bf01ff", 0, "byte 0xff at offset 2 is not an item"}, /* a key without its value */
    {"9f8100ff01", 4, NULL},
    {"bf0102ff", 4, NULL},
    {"c2420102", 4, NULL},
    {"83fb3ff0000000000000f8ff00", 13, NULL},
};

TEST(malformed_items_are_refused_where_they_break)
{
    for (size_t i = 0; i < MTL_ARRAY_LEN(SKIPS); i++) {
        uint8_t b[32];
        size_t n = 0, pos = 0;
        CHECK_OK(mtl_hex_decode(b, sizeof(b), &n, SKIPS[i].hex, strlen(SKIPS[i].hex)));
        mtl_err rc = mtl_cbor_skip(b, n, &pos, "t");
        if (!SKIPS[i].error) {
            CHECK_OK(rc);
            CHECK_EQ_INT(pos, SKIPS[i].end);
            continue;
        }
        CHECK_ERR(rc, MTL_ERR_BAD_ENCODING);
        if (!strstr(mtl_err_detail(), SKIPS[i].error))
            fprintf(stderr, "case %s: %s\n", SKIPS[i].hex, mtl_err_detail());
        CHECK(strstr(mtl_err_detail(), SKIPS[i].error));
        CHECK_EQ_INT(pos, 0); /* a refused skip leaves the position */
    }
    uint8_t deep[130];
    memset(deep, 0x81, sizeof(deep));
    size_t pos = 0;
    deep[127] = 0x00; /* the item at level 127: the deepest allowed */
    CHECK_OK(mtl_cbor_skip(deep, 128, &pos, "t"));
    CHECK_EQ_INT(pos, 128);
    deep[127] = 0x9f; /* an indefinite array at 127, empty: allowed */
    deep[128] = 0xff;
    pos = 0;
    CHECK_OK(mtl_cbor_skip(deep, 129, &pos, "t"));
    deep[128] = 0x00; /* its item would be at level 128 */
    deep[129] = 0xff;
    pos = 0;
    CHECK_ERR(mtl_cbor_skip(deep, 130, &pos, "t"), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "nested deeper than 128 (offset 128)"));
}

/* A body whose byte string would end past the block, in bytes that follow
 * it in memory (the next block of a chunk): the block's length decides. */
TEST(a_length_past_the_block_is_refused)
{
    static const uint8_t blk[] = {0x82, 0x07, 0x85, 0x82, 0x8a, 0x01, 0x02, 0,    0,    0,
                                  0,    0,    0,    0,    0,    0x40, 0x81, 0xa1, 0x00, 0x44,
                                  0xaa, 0xbb, 0xcc, 0xdd, 0x80, 0xa0, 0x80, 0x00};
    struct mtl_cardano_block b;
    CHECK_OK(mtl_block_decode(dec, blk, sizeof(blk) - 1, &b));
    CHECK_EQ_INT(b.tx_count, 1);
    CHECK_ERR(mtl_block_decode(dec, blk, 22, &b), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "transaction 0") &&
          strstr(mtl_err_detail(), "string of 4 bytes at offset 19 overruns"));
}

/* An epoch boundary block (none in the samples): [0, [header, body, extra]],
 * header [magic, prev, body_proof, [epoch, [difficulty]], extra]. pallas
 * numbers it by its difficulty, slots it at epoch * 21600 and hashes
 * [0, header]. */
TEST(epoch_boundary_block_decodes)
{
    static const uint8_t ebb[] = {
        0x82, 0x00, 0x83,                                     /* [0, [ */
        0x85, 0x1a, 0x2d, 0x96, 0x4a, 0x09, 0x41, 0xaa, 0x41, /* magic, prev, */
        0xbb, 0x82, 0x19, 0x00, 0x96, 0x81, 0x1a, 0x00, 0x31, /* proof, [150, [3239 */
        0x70, 0x8d, 0x80,                                     /* 869]], []] */
        0x81, 0x41, 0xcc, 0x80};                              /* body, extra */
    struct mtl_cardano_block b;
    CHECK_OK(mtl_block_decode(dec, ebb, sizeof(ebb), &b));
    CHECK_EQ_INT(b.era, MTL_ERA_BYRON_EBB);
    CHECK_EQ_INT(b.block_number, 0x31708d);
    CHECK_EQ_INT(b.slot, 150 * 21600);
    CHECK_EQ_INT(b.tx_count, 0);
    uint8_t wrapped[32], h[32];
    wrapped[0] = 0x82;
    wrapped[1] = 0x00;
    memcpy(wrapped + 2, ebb + 3, 21); /* the header: bytes 3..23 */
    crypto_generichash(h, 32, wrapped, 23, NULL, 0);
    CHECK_MEM(b.hash, h, 32);
}

static const char *immutable_dir(char *buf, size_t cap, const char *sub)
{
    snprintf(buf, cap, "%s/reference-data/cardano-node-samples/%s", shared, sub);
    return buf;
}

TEST(devnet_fragment_reads_every_block)
{
    /* the reference's test_parse_expected_number_of_transactions: 0, 2, 3 */
    static const size_t txs[4] = {0, 2, 3, 6};
    char dir[4096];
    immutable_dir(dir, sizeof(dir), "immutable");
    uint64_t expect_number = 0;
    for (uint64_t c = 0; c < 4; c++) {
        struct mtl_chunk_reader *r = NULL;
        CHECK_OK(mtl_chunk_reader_open(&r, dir, c));
        CHECK_EQ_INT(mtl_chunk_reader_block_count(r), 100);
        size_t blocks = 0, tx = 0;
        for (;;) {
            struct mtl_cardano_block b;
            bool done;
            CHECK_OK(mtl_chunk_reader_next(r, &b, &done));
            if (done)
                break;
            CHECK_EQ_INT(b.era, MTL_ERA_CONWAY);
            CHECK_EQ_INT(b.block_number, expect_number); /* one block per slot from 0 */
            CHECK_EQ_INT(b.slot, expect_number);
            expect_number++;
            blocks++;
            tx += b.tx_count;
        }
        CHECK_EQ_INT(blocks, 100);
        CHECK_EQ_INT(tx, txs[c]);
        mtl_chunk_reader_free(r);
    }
}

TEST(parsing_error_samples_give_clear_errors)
{
    char dir[4096];
    immutable_dir(dir, sizeof(dir), "parsing_error/immutable");
    struct mtl_chunk_reader *r = NULL;
    CHECK_ERR(mtl_chunk_reader_open(&r, dir, 4831), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "04831.secondary: secondary entry"));
    CHECK_ERR(mtl_chunk_reader_open(&r, dir, 4832), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "04832.secondary: secondary index of 1 bytes"));
    CHECK_ERR(mtl_chunk_reader_open(&r, dir, 4833), MTL_ERR_IO);
    CHECK(strstr(mtl_err_detail(), "04833.chunk"));
    CHECK(r == NULL);
}

/* A copy of chunk 1 of the fragment in a temporary directory, with
 * `edit` applied to one of its files. */
static char tmpdir[64];

static void copy_chunk(void (*edit)(const char *ext, uint8_t *data, size_t *len))
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/mtl-blocks-XXXXXX");
    if (!mkdtemp(tmpdir))
        abort();
    static const char *const exts[3] = {"chunk", "primary", "secondary"};
    for (int i = 0; i < 3; i++) {
        char src[4096], dst[128];
        snprintf(src, sizeof(src), "%s/reference-data/cardano-node-samples/immutable/00001.%s",
                 shared, exts[i]);
        snprintf(dst, sizeof(dst), "%s/00001.%s", tmpdir, exts[i]);
        uint8_t *d;
        size_t n;
        if (mtl_read_file(src, 1 << 24, &d, &n) != MTL_OK)
            abort();
        d = mtl_realloc(d, n + 1);
        edit(exts[i], d, &n);
        if (mtl_atomic_write(dst, d, n, 0600) != MTL_OK)
            abort();
        mtl_free(d);
    }
}

static void remove_copy(void)
{
    static const char *const exts[3] = {"chunk", "primary", "secondary"};
    for (int i = 0; i < 3; i++) {
        char p[128];
        snprintf(p, sizeof(p), "%s/00001.%s", tmpdir, exts[i]);
        unlink(p);
    }
    rmdir(tmpdir);
}

static void space_first(const char *ext, uint8_t *d, size_t *n)
{
    if (strcmp(ext, "chunk") == 0) { /* what parsing_error's 04831 was made with */
        memmove(d + 1, d, *n);
        d[0] = ' ';
        (*n)++;
    }
}
static void header_byte(const char *ext, uint8_t *d, size_t *n)
{
    if (strcmp(ext, "chunk") == 0)
        d[100] ^= 1; /* inside block 0's header (header_offset 3, ~800 bytes) */
}
static void primary_gap(const char *ext, uint8_t *d, size_t *n)
{
    if (strcmp(ext, "primary") == 0)
        d[8] ^= 0x10; /* an offset that jumps by more than one entry */
}
static void primary_short(const char *ext, uint8_t *d, size_t *n)
{
    if (strcmp(ext, "primary") == 0)
        *n = 1 + 4 * 3; /* offsets 0, 0, 56: one block where the secondary lists 100 */
}
static void secondary_slot(const char *ext, uint8_t *d, size_t *n)
{
    if (strcmp(ext, "secondary") == 0)
        d[56 + 55] ^= 1; /* entry 1's slot */
}

static mtl_err read_copy(size_t *blocks)
{
    struct mtl_chunk_reader *r = NULL;
    *blocks = 0;
    mtl_err rc = mtl_chunk_reader_open(&r, tmpdir, 1);
    while (rc == MTL_OK) {
        struct mtl_cardano_block b;
        bool done;
        rc = mtl_chunk_reader_next(r, &b, &done);
        if (rc != MTL_OK || done)
            break;
        (*blocks)++;
    }
    mtl_chunk_reader_free(r);
    return rc;
}

TEST(tampered_chunks_are_refused_naming_the_block)
{
    size_t blocks;
    copy_chunk(space_first);
    CHECK_ERR(read_copy(&blocks), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "00001.chunk: block 0 at offset 0"));
    CHECK(strstr(mtl_err_detail(), "era wrapper"));
    remove_copy();
    copy_chunk(header_byte);
    CHECK_ERR(read_copy(&blocks), MTL_ERR_INTEGRITY);
    CHECK(strstr(mtl_err_detail(), "00001.chunk: block 0") &&
          strstr(mtl_err_detail(), "header hash"));
    remove_copy();
    copy_chunk(primary_gap);
    CHECK_ERR(read_copy(&blocks), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "00001.primary"));
    remove_copy();
    copy_chunk(primary_short);
    CHECK_ERR(read_copy(&blocks), MTL_ERR_BAD_ENCODING);
    CHECK(strstr(mtl_err_detail(), "00001.primary: 1 filled slots ending at 56"));
    remove_copy();
    copy_chunk(secondary_slot);
    CHECK_ERR(read_copy(&blocks), MTL_ERR_INTEGRITY);
    CHECK(strstr(mtl_err_detail(), "block 1") && strstr(mtl_err_detail(), "slot"));
    CHECK_EQ_INT(blocks, 1);
    remove_copy();
}

int main(void)
{
    shared = REQUIRE_SHARED();
    mtl_init();
    if (mtl_block_decoder_new(&dec) != MTL_OK)
        return 1;
    RUN(one_block_of_every_era_decodes);
    RUN(alonzo_hashes_are_pallas_ones);
    RUN(truncated_and_altered_blocks_never_crash);
    RUN(indefinite_lengths_tags_and_floats_are_walked);
    RUN(malformed_items_are_refused_where_they_break);
    RUN(a_length_past_the_block_is_refused);
    RUN(epoch_boundary_block_decodes);
    RUN(devnet_fragment_reads_every_block);
    RUN(parsing_error_samples_give_clear_errors);
    RUN(tampered_chunks_are_refused_naming_the_block);
    mtl_block_decoder_free(dec);
    return DONE();
}
