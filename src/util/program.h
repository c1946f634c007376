/*
 * program.h - what the programs' main() functions share: the leading global
 * flags (-v counting, --json, -h/--help) and stopping on SIGINT/SIGTERM.
 */
#ifndef MTL_UTIL_PROGRAM_H
#define MTL_UTIL_PROGRAM_H

#include <signal.h>

/* Count of v in "-v", "-vv", ...; 0 for any other argument. */
int app_prog_verbose_flag(const char *arg);

/* Read argv[1..] while they are -v..., --json or -h/--help, adding to
 * *verbosity and setting *json; stops at the first other argument or at a
 * help flag (then *help = 1). Returns the index where it stopped. */
int app_prog_flags(int argc, char **argv, int *verbosity, int *json, int *help);

/* When the first argument past the leading -v.../--json is --version or
 * -V: print "<prog> <version>" (libmithril's, CMake's project version) on
 * stdout and return 1; else 0. */
int app_prog_version(const char *prog, int argc, char **argv);

/* Set to 1 by SIGINT/SIGTERM once app_prog_catch_stop() ran. */
extern volatile sig_atomic_t app_prog_stop;
/* Install the SIGINT/SIGTERM handler (no SA_RESTART: sleeps end with EINTR). */
void app_prog_catch_stop(void);

#endif
