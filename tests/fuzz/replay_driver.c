/* replay_driver.c - run a libFuzzer target over every file of a corpus, once
 * (zstd's regression_driver): the fuzzers' findings become regression tests in
 * builds without libFuzzer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mithril/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    uint8_t *data;
    size_t len;
    if (mtl_read_file(path, 64 << 20, &data, &len) != MTL_OK) {
        fprintf(stderr, "replay: cannot read %s: %s\n", path, mtl_err_detail());
        return 1;
    }
    LLVMFuzzerTestOneInput(data, len);
    mtl_free(data);
    return 0;
}

int main(int argc, char **argv)
{
    int files = 0, bad = 0;
    mtl_init();
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0)
            continue; /* no corpus yet: the empty input below still runs */
        if (!S_ISDIR(st.st_mode)) {
            bad += run_file(argv[i]);
            files++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char p[4096];
            snprintf(p, sizeof(p), "%s/%s", argv[i], e->d_name);
            bad += run_file(p);
            files++;
        }
        if (d)
            closedir(d);
    }
    LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
    printf("replayed %d corpus files\n", files);
    return bad ? 1 : 0;
}
