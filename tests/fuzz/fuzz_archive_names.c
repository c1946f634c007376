/* fuzz_archive_names.c - the client's checks of archive entry names never
 * crash and let nothing out of the target directory: an immutable archive
 * accepts only immutable/NNNNN.{chunk,primary,secondary} regular files of
 * its own number (check_entry), an ancillary archive only relative paths
 * without "." or ".." components (restore_safe_relpath). Both live in
 * src/client/client_restore.c (check_entry is static), compiled in here as
 * it is.
 * Input: 3 bytes of archive number (big-endian), 1 byte choosing the entry
 * type, then the entry's path. */
#include "client/client_restore.c"

static const mode_t types[] = {AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFIFO, AE_IFSOCK};

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
    struct archive_entry *e = archive_entry_new();
    if (!path || !e)
        goto out;
    struct task t = {.num = (uint64_t)data[0] << 16 | (uint64_t)data[1] << 8 | data[2]};
    mode_t ft = types[data[3] % MTL_ARRAY_LEN(types)];
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, ft);
    const char *p = path[0] == '.' && path[1] == '/' ? path + 2 : path;
    char name[32];
    if (check_entry(&t, e, name) == MTL_OK) {
        char want[48];
        int wl = snprintf(want, sizeof(want), "%05llu.", (unsigned long long)t.num);
        MTL_ASSERT(ft == AE_IFREG);
        MTL_ASSERT(strncmp(name, want, (size_t)wl) == 0);
        MTL_ASSERT(strncmp(p, "immutable/", 10) == 0 && strcmp(p + 10, name) == 0);
        MTL_ASSERT(restore_safe_relpath(p));
    }
    MTL_ASSERT(restore_safe_relpath(p) == relpath_ok(p));
out:
    archive_entry_free(e);
    mtl_free(path);
    return 0;
}
