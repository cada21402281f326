/* guard: test inputs placed flush against a PROT_NONE page, so that any over-read crashes
 * under every build (after picohttpparser's test.c). Memory is reclaimed at process exit
 * (Criterion runs each test in its own process). */
#ifndef AUTHSWEEP_TEST_GUARD_H
#define AUTHSWEEP_TEST_GUARD_H

#include <stddef.h>

#include "engine/core/slice.h"

slice guard_bytes(const void *p, size_t n);
slice guard_slice(const char *s); /* s is a C string literal; the NUL is not included */

/* Helpers for tests that touch files and the built program. */
const char *test_shared_dir(void); /* $AUTHSWEEP_SHARED or ../shared */
const char *test_root_dir(void);   /* $AUTHSWEEP_ROOT or . */
const char *test_bin(void);        /* $AUTHSWEEP_BIN or build/authsweep */
/* test_read_file reads a whole file into malloc'd memory (NUL-terminated); NULL on error. */
char *test_read_file(const char *path, size_t *out_len);
/* test_keep registers a malloc'd test buffer to be freed at process exit, so that
 * LeakSanitizer sees test code release what it allocated; returns p. */
void *test_keep(void *p);
/* test_run runs a shell command, capturing stdout into *out (malloc'd) and returning the
 * exit status (or -1). */
int test_run(const char *cmd, char **out, size_t *out_len);

#endif
