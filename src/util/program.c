/* program.c - global flags and stop signals shared by the programs. */
#include "program.h"

#include <stdio.h>
#include <string.h>

#include "mithril/util.h"

volatile sig_atomic_t app_prog_stop;

static void on_stop_signal(int sig)
{
    (void)sig;
    app_prog_stop = 1;
}

void app_prog_catch_stop(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int app_prog_verbose_flag(const char *arg)
{
    if (arg[0] == '-' && arg[1] == 'v' && strspn(arg + 1, "v") == strlen(arg + 1))
        return (int)strlen(arg + 1);
    return 0;
}

int app_prog_flags(int argc, char **argv, int *verbosity, int *json, int *help)
{
    int i = 1;
    *help = 0;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            *help = 1;
            break;
        } else if (strcmp(argv[i], "--json") == 0)
            *json = 1;
        else if (app_prog_verbose_flag(argv[i]))
            *verbosity += app_prog_verbose_flag(argv[i]);
        else
            break;
    }
    return i;
}

int app_prog_version(const char *prog, int argc, char **argv)
{
    int i = 1;
    while (i < argc && (strcmp(argv[i], "--json") == 0 || app_prog_verbose_flag(argv[i])))
        i++;
    if (i >= argc || (strcmp(argv[i], "--version") != 0 && strcmp(argv[i], "-V") != 0))
        return 0;
    printf("%s %s\n", prog, mtl_version());
    return 1;
}
