/* restore_fixture_main.c - command-line front of restore_fixture.c:
 *   restore-fixture DB_DIR DATA_DIR FILES_DIR [LAST_IMMUTABLE [CHUNK_BYTES [EPOCH]]]
 * makes a simulated DB (unless DB_DIR/immutable exists) and publishes it. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "mithril/util.h"
#include "restore_fixture.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: restore-fixture DB DATA FILES [LAST [CHUNK_BYTES [EPOCH]]]\n");
        return 2;
    }
    mtl_init();
    uint64_t last = argc > 4 ? strtoull(argv[4], NULL, 10) : 5;
    uint64_t chunk = argc > 5 ? strtoull(argv[5], NULL, 10) : 200000;
    uint64_t epoch = argc > 6 ? strtoull(argv[6], NULL, 10) : 7;
    char p[4200];
    struct stat st;
    snprintf(p, sizeof(p), "%s/immutable", argv[1]);
    mtl_err e = stat(p, &st) == 0 ? MTL_OK : fixture_make_db(argv[1], last, chunk);
    if (e == MTL_OK)
        e = fixture_publish(argv[1], argv[2], argv[3], epoch);
    if (e != MTL_OK) {
        fprintf(stderr, "restore-fixture: %s\n", mtl_err_detail());
        return 1;
    }
    return 0;
}
