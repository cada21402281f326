/* readfloor: the least a verifier pays to read the peers' messages, and nothing else.
 *
 *     readfloor LIST      LIST: lines "PATH<TAB>AS_OF_EPOCH", as the peer drivers take
 *
 * Opens, fstats, reads whole and closes every listed file, as each peer (and authsweep on a
 * Maildir) must, and prints "files N bytes B". Run by bench_runner, whose CPU time is the
 * reading floor that bench.py adds to the roofline for the ceiling of each peer's ratio. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: readfloor LIST\n");
        return 2;
    }
    FILE *l = fopen(argv[1], "r");
    if (l == NULL) {
        perror(argv[1]);
        return 1;
    }
    char line[4096];
    size_t cap = 1u << 20;
    unsigned char *buf = malloc(cap);
    uint64_t files = 0, bytes = 0;
    while (buf != NULL && fgets(line, sizeof line, l) != NULL) {
        char *tab = strchr(line, '\t');
        if (tab == NULL) {
            continue;
        }
        *tab = '\0';
        int fd = open(line, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
            perror(line);
            return 1;
        }
        if ((size_t)st.st_size > cap) {
            free(buf);
            cap = (size_t)st.st_size;
            buf = malloc(cap);
            if (buf == NULL) {
                break;
            }
        }
        size_t got = 0;
        ssize_t n;
        while (got < (size_t)st.st_size && (n = read(fd, buf + got, cap - got)) > 0) {
            got += (size_t)n;
        }
        close(fd);
        files++;
        bytes += got;
    }
    fclose(l);
    if (buf == NULL) {
        fprintf(stderr, "readfloor: out of memory\n");
        return 1;
    }
    free(buf);
    printf("files %llu bytes %llu\n", (unsigned long long)files, (unsigned long long)bytes);
    return 0;
}
