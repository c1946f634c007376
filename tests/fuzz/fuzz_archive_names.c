/* fuzz_archive_names.c - the client's checks of archive entry names never
 * crash and let nothing out of the target directory: an immutable archive
 * accepts only immutable/NNNNN.{chunk,primary,secondary} regular files of
 * its own number (client_restore_entry_name, the restore's entry policy),
 * an ancillary manifest only relative paths without "." or ".." components
 * (libmithril's mtl_ancillary_path_ok). Linked with client_core.
 * Input: 3 bytes of archive number (big-endian), 1 byte choosing the entry
 * type (the first of 6 kinds is a regular file), then the entry's path. */
#include <stdio.h>
#include <string.h>

#include "client_services.h"

/* Independently: relative, no "." / ".." / empty component (a trailing
 * slash aside). */
static int relpath_ok(const char *p)
{
    if (!*p || *p == '/' || strlen(p) > 1024)
        return 0;
    const char *c = p;
    for (;;) {
        size_t n = strcspn(c, "/");
        if (c[n] == '\0')
            return n > 0 && strcmp(c, ".") != 0 && strcmp(c, "..") != 0;
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return 0; /* "a//", "a/./b", "a/../b" */
        if (c[n + 1] == '\0')
            return 1; /* "dir/" */
        c += n + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    char *path = mtl_strndup((const char *)data + 4, size - 4);
    if (!path)
        return 0;
    uint64_t num = (uint64_t)data[0] << 16 | (uint64_t)data[1] << 8 | data[2];
    int regular = data[3] % 6 == 0;
    const char *p = path[0] == '.' && path[1] == '/' ? path + 2 : path;
    char name[MTL_IMMUTABLE_NAME_BYTES];
    if (client_restore_entry_name(num, path, regular, name) == MTL_OK) {
        char want[48];
        int wl = snprintf(want, sizeof(want), "%05llu.", (unsigned long long)num);
        MTL_ASSERT(regular);
        MTL_ASSERT(strncmp(name, want, (size_t)wl) == 0);
        MTL_ASSERT(strncmp(p, "immutable/", 10) == 0 && strcmp(p + 10, name) == 0);
        MTL_ASSERT(mtl_ancillary_path_ok(p));
    }
    MTL_ASSERT(mtl_ancillary_path_ok(p) == relpath_ok(p));
    mtl_free(path);
    return 0;
}
