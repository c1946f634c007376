#!/usr/bin/env bash
# pkg-config finds libmithril in the build tree, and a 10-line program
# including <mithril/mithril.h> links against libmithril.so and runs.
set -euo pipefail
build=${MTL_BUILD_DIR:?}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cat >"$work/hello.c" <<'C'
#include <stdio.h>
#include <mithril/mithril.h>
int main(void)
{
    if (mtl_init() != MTL_OK)
        return 1;
    printf("libmithril %s: %s\n", mtl_version(), mithril_strerror(MTL_ERR_VERIFY_FAIL));
    return 0;
}
C
flags=$(PKG_CONFIG_PATH="$build" pkg-config --cflags --libs mithril)
echo "pkg-config: $flags"
cc -Wall -Wextra -Werror -o "$work/hello" "$work/hello.c" $flags
out=$("$work/hello")
echo "$out"
[ "$out" = "libmithril $(PKG_CONFIG_PATH="$build" pkg-config --modversion mithril): verification failed" ]
# no `ldd | grep -q` under pipefail: grep exiting early can SIGPIPE ldd
ldd "$work/hello" >"$work/ldd"
grep -q "libmithril.so" "$work/ldd"
echo "1 passed, 0 failed"
