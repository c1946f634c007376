/* chunk_blocks.c - every block of an ImmutableDB as libmithril's chunk
 * reader and block decoder see it, one line per block in the format of
 * cardano-node-sim --tx-log: "<number> <slot> <hash> [<tx id>...]".
 *   chunk_blocks IMMUTABLE_DIR
 * Reads chunks 0, 1, ... until one is missing. Exit 0, or 1 with the
 * reader's error on stderr. */
#include <stdio.h>
#include <sys/stat.h>

#include "mithril/cardano_block.h"
#include "mithril/mithril.h"

static int print_chunk(const char *dir, uint64_t no)
{
    struct mtl_chunk_reader *r;
    if (mtl_chunk_reader_open(&r, dir, no) != MTL_OK)
        return 1;
    struct mtl_cardano_block b;
    bool done = false;
    mtl_err e;
    while ((e = mtl_chunk_reader_next(r, &b, &done)) == MTL_OK && !done) {
        char hex[65];
        mtl_hex_encode(hex, sizeof hex, b.hash, 32);
        printf("%llu %llu %s", (unsigned long long)b.block_number, (unsigned long long)b.slot, hex);
        for (size_t i = 0; i < b.tx_count; i++) {
            mtl_hex_encode(hex, sizeof hex, b.tx_hashes[i], 32);
            printf(" %s", hex);
        }
        putchar('\n');
    }
    mtl_chunk_reader_free(r);
    return e == MTL_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: chunk_blocks IMMUTABLE_DIR\n");
        return 2;
    }
    if (mtl_init() != MTL_OK)
        return 1;
    for (uint64_t no = 0;; no++) {
        char path[4200];
        struct stat st;
        snprintf(path, sizeof path, "%s/%05llu.chunk", argv[1], (unsigned long long)no);
        if (stat(path, &st) != 0)
            return 0;
        if (print_chunk(argv[1], no) != 0) {
            fprintf(stderr, "chunk_blocks: %s\n", mtl_err_detail());
            return 1;
        }
    }
}
