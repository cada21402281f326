/* fuzz_tmp: see fuzz_tmp.h. */
#include "tests/fuzz/fuzz_tmp.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUZZ_TMP_MAX_PATHS 16

static char tmp_dir[256];
static char remembered[FUZZ_TMP_MAX_PATHS][320];
static size_t n_remembered;

static void cleanup(void)
{
    while (n_remembered > 0) {
        const char *p = remembered[--n_remembered];
        if (unlink(p) != 0) {
            (void)rmdir(p);
        }
    }
}

void fuzz_tmp_remember(const char *path)
{
    if (n_remembered < FUZZ_TMP_MAX_PATHS && strlen(path) < sizeof(remembered[0])) {
        memcpy(remembered[n_remembered++], path, strlen(path) + 1);
    }
}

const char *fuzz_tmp_dir(void)
{
    if (tmp_dir[0] != 0) {
        return tmp_dir;
    }
    struct stat st;
    const char *base = (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode)) ? "/dev/shm" : "/tmp";
    snprintf(tmp_dir, sizeof(tmp_dir), "%s/authsweep-fuzz-XXXXXX", base);
    if (mkdtemp(tmp_dir) == NULL) {
        perror("fuzz: mkdtemp");
        abort();
    }
    fuzz_tmp_remember(tmp_dir);
    atexit(cleanup);
    return tmp_dir;
}

void fuzz_tmp_write(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        perror(path);
        abort();
    }
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) {
            perror(path);
            abort();
        }
        off += (size_t)w;
    }
    close(fd);
}
