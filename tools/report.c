/* `mmarml report <run_root> [-o file.html]` (report.h). */
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char *const usage_report =
    "usage: mmarml report <run_root> [-o <file.html>] [--journal <file>]\n"
    "\n"
    "Writes one self-contained HTML page about a run, live or finished, from its journal\n"
    "(read without disturbing a live run): the best job and its config against the base,\n"
    "scores over time, score against each param, parallel coordinates, param importance,\n"
    "the workers' timeline, learning curves, and a sortable table of the jobs.\n"
    "\n"
    "  -o, --output <file>   where to write (default <run_root>/report.html; - for stdout)\n"
    "  -j, --journal <file>  the run's journal (default <run_root>/journal.mmarml)\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 written, 1 the journal could not be read or the page not written,\n"
    "2 bad usage.\n";

int report_write_file(const char *run_root, const char *journal, const char *out)
{
    report_run run;
    char *tmp = NULL, *dflt = NULL;
    FILE *f = stdout;
    int rc, failed;

    if ((rc = report_run_load(&run, run_root, journal)) != MMARML_OK) {
        report_run_free(&run);
        return rc;
    }
    if (out == NULL) {
        if ((dflt = malloc(strlen(run_root) + sizeof("/report.html"))) == NULL) {
            report_run_free(&run);
            return mmarml_error_set(MMARML_ENOMEM, "report: out of memory");
        }
        strcpy(dflt, run_root);
        strcat(dflt, "/report.html");
        out = dflt;
    }
    if (strcmp(out, "-") != 0) {
        size_t n = strlen(out) + 32;
        if ((tmp = malloc(n)) == NULL) {
            report_run_free(&run);
            free(dflt);
            return mmarml_error_set(MMARML_ENOMEM, "report: out of memory");
        }
        snprintf(tmp, n, "%s.tmp.%ld", out, (long)getpid());
        if ((f = fopen(tmp, "w")) == NULL) {
            rc = mmarml_error_set(MMARML_EIO, "%s: %s", tmp, strerror(errno));
            report_run_free(&run);
            free(tmp);
            free(dflt);
            return rc;
        }
    }
    report_write_html(f, &run);
    report_run_free(&run);
    failed = ferror(f) || fflush(f) != 0;
    if (f != stdout) {
        failed = fclose(f) != 0 || failed;
        if (failed || rename(tmp, out) != 0) {
            rc = mmarml_error_set(MMARML_EIO, "%s: %s", failed ? tmp : out,
                                  errno ? strerror(errno) : "write failed");
            unlink(tmp);
        }
    } else if (failed) {
        rc = mmarml_error_set(MMARML_EIO, "report: cannot write to stdout");
    }
    free(tmp);
    free(dflt);
    return rc;
}

int cli_report(int argc, char **argv)
{
    static const struct option longs[] = {{"output", required_argument, NULL, 'o'},
                                          {"journal", required_argument, NULL, 'j'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *out = NULL, *journal = NULL;
    int c, rc;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:j:h", longs, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'j': journal = optarg; break;
        case 'h': fputs(usage_report, stdout); return 0;
        default:
            fprintf(stderr, "mmarml report: bad option '%s'\n\n%s", argv[optind - 1],
                    usage_report);
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "mmarml report: give one run root\n\n%s", usage_report);
        return 2;
    }
    if ((rc = report_write_file(argv[optind], journal, out)) != MMARML_OK) {
        fprintf(stderr, "mmarml report: %s\n", mmarml_error_message());
        return 1;
    }
    if (out == NULL || strcmp(out, "-") != 0)
        fprintf(stderr, "mmarml report: wrote %s%s\n", out != NULL ? out : argv[optind],
                out != NULL ? "" : "/report.html");
    return 0;
}
