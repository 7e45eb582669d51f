/* Replays fuzz inputs without libFuzzer: every file named on the command line, or inside a
 * directory named there (default: the seed corpus), goes once through
 * LLVMFuzzerTestOneInput. `make check` runs it, so a finding added to the corpus stays fixed. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long size;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "standalone: cannot read %s\n", path);
        if (f != NULL)
            fclose(f);
        return 1;
    }
    buf = malloc((size_t)size + 1);
    if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "standalone: cannot read %s\n", path);
        free(buf);
        fclose(f);
        return 1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, (size_t)size);
    free(buf);
    return 0;
}

#ifndef FUZZ_CORPUS_DIR
#define FUZZ_CORPUS_DIR "tests/fuzz/corpus"
#endif

int main(int argc, char **argv)
{
    char *seed[] = {argv[0], (char *)FUZZ_CORPUS_DIR, NULL};
    int i, failed = 0, count = 0;

    if (argc < 2) { /* no arguments: the seed corpus */
        argc = 2;
        argv = seed;
    }
    for (i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            struct dirent *e;
            while (d != NULL && (e = readdir(d)) != NULL) {
                char path[4096];
                if (e->d_name[0] == '.')
                    continue;
                snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
                failed |= run_file(path);
                count++;
            }
            if (d != NULL)
                closedir(d);
        } else {
            failed |= run_file(argv[i]);
            count++;
        }
    }
    printf("fuzz replay: %d inputs, %s\n", count, failed ? "some unreadable" : "no crash");
    return failed || count == 0;
}
