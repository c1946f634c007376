/* chunk_reader.c - the blocks of one ImmutableDB chunk: NNNNN.chunk mapped,
 * split by the 56-byte entries of NNNNN.secondary, both checked against
 * NNNNN.primary (spec cardano-db.md §5.2-5.3); each block decoded and its
 * header hash (and slot) checked against its entry. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cardano_int.h"
#include "mithril/cardano_block.h"

#define SECONDARY_ENTRY 56
#define INDEX_MAX ((size_t)256 << 20) /* mainnet's are ~100 KB */

struct entry {
    uint64_t offset, slot_or_epoch;
    const uint8_t *header_hash;
};

struct mtl_chunk_reader {
    char name[32]; /* "00042.chunk", for errors */
    uint8_t *map;
    size_t size;
    uint8_t *secondary;
    struct entry *entries;
    size_t count, next;
    struct mtl_block_decoder *dec;
};

static mtl_err check_primary(const uint8_t *p, size_t len, size_t entries, size_t secondary_len,
                             const char *name)
{
    MTL_CHECK(len >= 5 && (len - 1) % 4 == 0 && p[0] == 1, MTL_ERR_BAD_ENCODING,
              "%s: not a version-1 primary index of 32-bit offsets (%zu bytes)", name, len);
    size_t filled = 0;
    uint32_t prev = mtl_be32_get(p + 1);
    MTL_CHECK(prev == 0, MTL_ERR_BAD_ENCODING, "%s: first offset is %u, not 0", name, prev);
    for (size_t i = 5; i < len; i += 4) {
        uint32_t o = mtl_be32_get(p + i);
        MTL_CHECK(o == prev || o == prev + SECONDARY_ENTRY, MTL_ERR_BAD_ENCODING,
                  "%s: offset %zu goes from %u to %u (a slot holds one 56-byte entry)", name,
                  (i - 1) / 4, prev, o);
        filled += o != prev;
        prev = o;
    }
    MTL_CHECK(prev == secondary_len && filled == entries, MTL_ERR_BAD_ENCODING,
              "%s: %zu filled slots ending at %u, the secondary index has %zu entries (%zu bytes)",
              name, filled, prev, entries, secondary_len);
    return MTL_OK;
}

static mtl_err read_index(const char *dir, uint64_t number, const char *ext, uint8_t **data,
                          size_t *len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%05" PRIu64 ".%s", dir, number, ext);
    mtl_err rc = mtl_read_file(path, INDEX_MAX, data, len);
    return rc == MTL_OK ? MTL_OK : mtl_err_wrap(rc, "%s", path);
}

static mtl_err map_chunk(struct mtl_chunk_reader *r, const char *dir, uint64_t number)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%05" PRIu64 ".chunk", dir, number);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    MTL_CHECK(fd >= 0, MTL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    mtl_err rc = MTL_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = mtl_seterr(MTL_ERR_IO, "%s: not a readable regular file", path);
    } else if (st.st_size > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (m == MAP_FAILED)
            rc = mtl_seterr(MTL_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
        else {
            madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
            r->map = m;
            r->size = (size_t)st.st_size;
        }
    }
    close(fd);
    return rc;
}

static mtl_err load_entries(struct mtl_chunk_reader *r, size_t len)
{
    MTL_CHECK(len % SECONDARY_ENTRY == 0, MTL_ERR_BAD_ENCODING,
              "%s: secondary index of %zu bytes is not whole 56-byte entries", r->name, len);
    r->count = len / SECONDARY_ENTRY;
    r->entries = mtl_calloc(r->count ? r->count : 1, sizeof(*r->entries));
    MTL_CHECK(r->entries, MTL_ERR_NOMEM, "%s: out of memory", r->name);
    for (size_t i = 0; i < r->count; i++) {
        const uint8_t *e = r->secondary + i * SECONDARY_ENTRY;
        struct entry *x = &r->entries[i];
        x->offset = mtl_be64_get(e);
        x->header_hash = e + 16;
        x->slot_or_epoch = mtl_be64_get(e + 48);
        MTL_CHECK(x->offset < r->size && (i == 0 || x->offset > r->entries[i - 1].offset),
                  MTL_ERR_BAD_ENCODING,
                  "%s: secondary entry %zu puts a block at offset %" PRIu64
                  " (the chunk has %zu bytes; offsets must grow)",
                  r->name, i, x->offset, r->size);
    }
    return MTL_OK;
}

static mtl_err open_all(struct mtl_chunk_reader *r, const char *dir, uint64_t number)
{
    uint8_t *primary = NULL;
    size_t slen = 0, plen = 0;
    MTL_TRY(map_chunk(r, dir, number));
    MTL_TRY(read_index(dir, number, "secondary", &r->secondary, &slen));
    snprintf(r->name, sizeof(r->name), "%05" PRIu64 ".secondary", number);
    MTL_TRY(load_entries(r, slen));
    MTL_TRY(read_index(dir, number, "primary", &primary, &plen));
    snprintf(r->name, sizeof(r->name), "%05" PRIu64 ".primary", number);
    mtl_err rc = check_primary(primary, plen, r->count, slen, r->name);
    mtl_free(primary);
    snprintf(r->name, sizeof(r->name), "%05" PRIu64 ".chunk", number);
    MTL_TRY(rc);
    return mtl_block_decoder_new(&r->dec);
}

mtl_err mtl_chunk_reader_open(struct mtl_chunk_reader **out, const char *immutable_dir,
                              uint64_t number)
{
    MTL_CHECK(out && immutable_dir, MTL_ERR_INVALID_ARG, "chunk reader: NULL argument");
    *out = NULL;
    struct mtl_chunk_reader *r = mtl_calloc(1, sizeof(*r));
    MTL_CHECK(r, MTL_ERR_NOMEM, "chunk reader: out of memory");
    mtl_err rc = open_all(r, immutable_dir, number);
    if (rc != MTL_OK) {
        mtl_chunk_reader_free(r);
        return rc;
    }
    *out = r;
    return MTL_OK;
}

void mtl_chunk_reader_free(struct mtl_chunk_reader *r)
{
    if (!r)
        return;
    if (r->map)
        munmap(r->map, r->size);
    mtl_free(r->secondary);
    mtl_free(r->entries);
    mtl_block_decoder_free(r->dec);
    mtl_free(r);
}

size_t mtl_chunk_reader_block_count(const struct mtl_chunk_reader *r)
{
    return r ? r->count : 0;
}

mtl_err mtl_chunk_reader_next(struct mtl_chunk_reader *r, struct mtl_cardano_block *out, bool *done)
{
    MTL_CHECK(r && out && done, MTL_ERR_INVALID_ARG, "chunk reader: NULL argument");
    *done = r->next >= r->count;
    if (*done)
        return MTL_OK;
    size_t i = r->next;
    const struct entry *e = &r->entries[i];
    size_t end = i + 1 < r->count ? (size_t)r->entries[i + 1].offset : r->size;
    mtl_err rc = mtl_block_decode(r->dec, r->map + e->offset, end - (size_t)e->offset, out);
    if (rc != MTL_OK)
        return mtl_err_wrap(rc, "%s: block %zu at offset %" PRIu64, r->name, i, e->offset);
    MTL_CHECK(memcmp(out->hash, e->header_hash, MTL_BLOCK_HASH_BYTES) == 0, MTL_ERR_INTEGRITY,
              "%s: block %zu at offset %" PRIu64
              ": its header hash is not the one the secondary index records",
              r->name, i, e->offset);
    MTL_CHECK(out->era <= MTL_ERA_BYRON || out->slot == e->slot_or_epoch, MTL_ERR_INTEGRITY,
              "%s: block %zu at offset %" PRIu64 ": slot %" PRIu64
              ", the secondary index records %" PRIu64,
              r->name, i, e->offset, out->slot, e->slot_or_epoch);
    r->next++;
    return MTL_OK;
}
