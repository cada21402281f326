/* fuzz_tmp: a per-process scratch folder for the input harnesses, on tmpfs when there is one
 * (/dev/shm), removed at exit. */
#ifndef AUTHSWEEP_FUZZ_TMP_H
#define AUTHSWEEP_FUZZ_TMP_H

#include <stddef.h>
#include <stdint.h>

/* fuzz_tmp_dir returns the folder (made on first call; aborts if it cannot be). */
const char *fuzz_tmp_dir(void);
/* fuzz_tmp_write replaces the file at path with data[0..size) (aborts on error). */
void fuzz_tmp_write(const char *path, const uint8_t *data, size_t size);
/* fuzz_tmp_remember registers a path to unlink (files) or rmdir (folders) at exit, in
 * reverse order of registration. */
void fuzz_tmp_remember(const char *path);

#endif
