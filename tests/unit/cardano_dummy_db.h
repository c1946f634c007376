/* cardano_dummy_db.h - the reference's dummy Cardano DB for the cardano
 * unit tests (spec cardano-db.md §2.5): files holding
 * "This is a test file named '<name>'", in a fresh temp dir. */
#ifndef MTL_TEST_CARDANO_DUMMY_DB_H
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* nftw */
#endif
#define MTL_TEST_CARDANO_DUMMY_DB_H

#define DUMMY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int dummy_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

/* Write dir/immutable/<name> with the reference's dummy content. */
static int dummy_file(const char *dir, const char *name)
{
    char p[4096], content[128];
    snprintf(p, sizeof(p), "%s/immutable/%s", dir, name);
    int n = snprintf(content, sizeof(content), "This is a test file named '%s'", name);
    return dummy_write(p, content, (size_t)n);
}

static int dummy_trio(const char *dir, unsigned num)
{
    static const char *ext[] = {"chunk", "primary", "secondary"};
    for (int e = 0; e < 3; e++) {
        char name[40];
        snprintf(name, sizeof(name), "%05u.%s", num, ext[e]);
        if (dummy_file(dir, name) != 0)
            return -1;
    }
    return 0;
}

/* A temp DB dir with immutable/, ledger/, volatile/ and trios first..last. */
static char *dummy_db(unsigned first, unsigned last)
{
    char tmpl[] = "/tmp/mtl-cardano-db-XXXXXX";
    if (!mkdtemp(tmpl))
        return NULL;
    char *dir = strdup(tmpl);
    char p[4096];
    const char *subs[] = {"ledger", "volatile", "immutable"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, subs[i]);
        mkdir(p, 0700);
    }
    for (unsigned k = first; k <= last; k++)
        if (dummy_trio(dir, k) != 0) {
            free(dir);
            return NULL;
        }
    return dir;
}

static int dummy_rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void dummy_db_remove(char *dir)
{
    if (dir)
        nftw(dir, dummy_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

#endif
