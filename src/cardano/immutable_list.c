/* immutable_list.c - listing db/immutable/ and the certifiable immutable
 * file number with the reference's rules (spec cardano-db.md §1.2, §1.3). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cardano_int.h"

#define IMMUTABLE_DIR "immutable"
#define MAX_WALK_DEPTH 64 /* the walk does not follow symlinks; this bounds odd trees */

static char *path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int slash = la > 0 && a[la - 1] == '/';
    char *p = mtl_malloc(la + lb + 2);
    if (!p)
        return NULL;
    memcpy(p, a, la);
    if (!slash)
        p[la++] = '/';
    memcpy(p + la, b, lb + 1);
    return p;
}

static const char *base_name(const char *path, size_t *len)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t s = n;
    while (s > 0 && path[s - 1] != '/')
        s--;
    *len = n - s;
    return path + s;
}

/* Depth-first, readdir order, directories only, symlinks not followed (like
 * the reference's walkdir): the first directory named "immutable". */
static mtl_err find_immutable_dir(const char *dir, int depth, char **found)
{
    size_t bl;
    const char *b = base_name(dir, &bl);
    if (bl == strlen(IMMUTABLE_DIR) && memcmp(b, IMMUTABLE_DIR, bl) == 0) {
        *found = mtl_strdup(dir);
        MTL_CHECK(*found, MTL_ERR_NOMEM, "immutable listing: out of memory");
        return MTL_OK;
    }
    if (depth >= MAX_WALK_DEPTH)
        return MTL_OK;
    DIR *d = opendir(dir);
    if (!d)
        return MTL_OK; /* unreadable sub-directories are skipped, as walkdir's errors are */
    mtl_err e = MTL_OK;
    struct dirent *de;
    while (!*found && e == MTL_OK && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *p = path_join(dir, de->d_name);
        if (!p) {
            e = mtl_seterr(MTL_ERR_NOMEM, "immutable listing: out of memory");
            break;
        }
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            e = find_immutable_dir(p, depth + 1, found);
        mtl_free(p);
    }
    closedir(d);
    return e;
}

/* Rust's Path::extension: after the last dot, unless that dot starts the name. */
static const char *extension(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && dot != name ? dot + 1 : NULL;
}

static int is_immutable_ext(const char *ext)
{
    return ext && (strcmp(ext, "chunk") == 0 || strcmp(ext, "primary") == 0 ||
                   strcmp(ext, "secondary") == 0);
}

/* The stem parsed as u64 like Rust's str::parse (optional '+', digits only). */
static int parse_number(const char *s, size_t len, uint64_t *out)
{
    size_t i = 0;
    if (len > 0 && s[0] == '+')
        i = 1;
    if (i == len)
        return 0;
    uint64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        unsigned dgt = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - dgt) / 10)
            return 0;
        v = v * 10 + dgt;
    }
    *out = v;
    return 1;
}

static int cmp_files(const void *pa, const void *pb)
{
    const struct mtl_immutable_file *a = pa, *b = pb;
    if (a->number != b->number)
        return a->number < b->number ? -1 : 1;
    return strcmp(a->path, b->path);
}

void mtl_immutable_list_free(struct mtl_immutable_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        mtl_free(l->files[i].path);
    mtl_free(l->files);
    l->files = NULL;
    l->count = 0;
}

static mtl_err list_dir(const char *imm, struct mtl_immutable_list *out)
{
    DIR *d = opendir(imm);
    MTL_CHECK(d, MTL_ERR_IO, "immutable listing: cannot open '%s': %s", imm, strerror(errno));
    size_t cap = 0;
    mtl_err e = MTL_OK;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *ext = extension(de->d_name);
        if (!is_immutable_ext(ext))
            continue;
        char *p = path_join(imm, de->d_name);
        if (!p) {
            e = mtl_seterr(MTL_ERR_NOMEM, "immutable listing: out of memory");
            break;
        }
        struct stat st;
        if (lstat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
            mtl_free(p); /* sub-directories, symlinks, vanished files: not immutable files */
            continue;
        }
        uint64_t num;
        if (!parse_number(de->d_name, (size_t)(ext - 1 - de->d_name), &num)) {
            e = mtl_seterr(MTL_ERR_BAD_ENCODING,
                           "immutable listing: '%s': the file name does not start with an "
                           "immutable file number",
                           p);
            mtl_free(p);
            break;
        }
        if (strlen(de->d_name) >= MTL_IMMUTABLE_NAME_BYTES) {
            e = mtl_seterr(MTL_ERR_BAD_ENCODING,
                           "immutable listing: '%s': file name longer than %d bytes", p,
                           MTL_IMMUTABLE_NAME_BYTES - 1);
            mtl_free(p);
            break;
        }
        if (out->count == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            void *nf = mtl_realloc(out->files, ncap * sizeof(*out->files));
            if (!nf) {
                mtl_free(p);
                e = mtl_seterr(MTL_ERR_NOMEM, "immutable listing: out of memory");
                break;
            }
            out->files = nf;
            cap = ncap;
        }
        struct mtl_immutable_file *f = &out->files[out->count++];
        memset(f, 0, sizeof(*f));
        f->number = num;
        f->path = p;
        memcpy(f->name, de->d_name, strlen(de->d_name) + 1);
    }
    closedir(d);
    return e;
}

mtl_err mtl_immutable_list_all(const char *db_dir, struct mtl_immutable_list *out)
{
    MTL_CHECK(db_dir && *db_dir && out, MTL_ERR_INVALID_ARG, "immutable listing: NULL argument");
    out->files = NULL;
    out->count = 0;
    struct stat st;
    MTL_CHECK(stat(db_dir, &st) == 0, MTL_ERR_NOT_FOUND,
              "Couldn't find the 'immutable' folder in '%s': %s", db_dir, strerror(errno));
    MTL_CHECK(S_ISDIR(st.st_mode), MTL_ERR_NOT_FOUND,
              "Couldn't find the 'immutable' folder in '%s': not a directory", db_dir);
    char *imm = NULL;
    MTL_TRY(find_immutable_dir(db_dir, 0, &imm));
    MTL_CHECK(imm, MTL_ERR_NOT_FOUND, "Couldn't find the 'immutable' folder in '%s'", db_dir);
    mtl_err e = list_dir(imm, out);
    mtl_free(imm);
    if (e != MTL_OK) {
        mtl_immutable_list_free(out);
        return e;
    }
    if (out->count > 1)
        mtl_sort(out->files, out->count, sizeof(*out->files), cmp_files);
    return MTL_OK;
}

mtl_err mtl_immutable_last_certifiable(const char *db_dir, uint64_t *number)
{
    MTL_CHECK(number, MTL_ERR_INVALID_ARG, "certifiable number: NULL argument");
    struct mtl_immutable_list l;
    MTL_TRY(mtl_immutable_list_all(db_dir, &l));
    mtl_err e = MTL_OK;
    if (l.count == 0) {
        e = mtl_seterr(MTL_ERR_NOT_FOUND, "no immutable file was returned: '%s' holds none",
                       db_dir);
    } else {
        /* sorted by number: the last trio is the one being written */
        uint64_t last = l.files[l.count - 1].number;
        size_t i = l.count;
        while (i > 0 && l.files[i - 1].number == last)
            i--;
        if (i == 0)
            e = mtl_seterr(MTL_ERR_NOT_FOUND,
                           "no immutable file was returned: only immutable number %llu (still "
                           "being written) in '%s', nothing is certifiable",
                           (unsigned long long)last, db_dir);
        else
            *number = l.files[i - 1].number;
    }
    mtl_immutable_list_free(&l);
    return e;
}
