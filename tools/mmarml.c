/*
 * mmarml: the command-line driver. Subcommands:
 *   run     a whole AutoML on an MMAR (run.c)
 *   admin   talk to a live run (run.c)
 *   space   print the search space of an MMAR's training config
 *   apply   print the job config for given values
 *   report  an HTML page about a run (report.c)
 *   prune-replay  what a pruner would have done to a run (prune_replay.c)
 * Built on the public API only. space and apply exit 0 on success and 2 on bad usage or
 * input (the message on stderr, nothing on stdout).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mmarml.h>

#include "cli.h"

#define EXIT_USAGE 2

static const char *const usage_main =
    "usage: mmarml <command> [options]\n"
    "\n"
    "commands:\n"
    "  run     run the AutoML of an MMAR (config/config_automl.json)\n"
    "  admin   list, suspend, resume or abort workers of a live run; stop it; summary\n"
    "  space   print the search space of an MMAR's training config as JSON\n"
    "  apply   print the job config a recommendation makes\n"
    "  report  write an HTML page about a run, live or finished\n"
    "  prune-replay  what a pruner would have stopped and saved in a run that happened\n"
    "\n"
    "'mmarml <command> --help' describes a command.\n";

static const char *const usage_space =
    "usage: mmarml space -m <mmar> [--trainconf <file>]\n"
    "\n"
    "Prints {\"name\": <file>, \"params\": [...]}: per param its prl, domain, type (float, int,\n"
    "enum), and min, max, scale (linear or log) or the enum's choices.\n"
    "\n"
    "  -m, --mmar <dir>        the MMAR (its config/ holds the training config)\n"
    "  -t, --trainconf <file>  training config in <mmar>/config/, or an absolute path\n"
    "                          (default config_train.json)\n"
    "  -h, --help              this text\n";

static const char *const usage_apply =
    "usage: mmarml apply -m <mmar> [--trainconf <file>] --values '<JSON>' "
    "[--remove-search-augs]\n"
    "\n"
    "Prints the training config with the values written, as a job would get it.\n"
    "\n"
    "  -m, --mmar <dir>          the MMAR\n"
    "  -t, --trainconf <file>    training config in <mmar>/config/ or absolute\n"
    "                            (default config_train.json)\n"
    "  -v, --values <JSON>       {\"<PRL>\": value, ...}; enum values are choice indices;\n"
    "                            params left out are not applied\n"
    "  -r, --remove-search-augs  drop every search, apply and lr_search\n"
    "  -h, --help                this text\n";

typedef struct {
    const char *mmar;
    const char *trainconf;
    const char *values;
    int remove_search_augs;
} options;

static int fail(const char *command, const char *message)
{
    fprintf(stderr, "mmarml %s: %s\n", command, message);
    return EXIT_USAGE;
}

static int parse(int argc, char **argv, options *o, const char *usage, int want_values)
{
    static const struct option longopts[] = {
        {"mmar", required_argument, NULL, 'm'},
        {"trainconf", required_argument, NULL, 't'},
        {"values", required_argument, NULL, 'v'},
        {"remove-search-augs", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    memset(o, 0, sizeof(*o));
    o->trainconf = "config_train.json";
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, want_values ? "m:t:v:rh" : "m:t:h", longopts, NULL)) !=
           -1) {
        switch (c) {
        case 'm':
            o->mmar = optarg;
            break;
        case 't':
            o->trainconf = optarg;
            break;
        case 'v':
            o->values = optarg;
            break;
        case 'r':
            o->remove_search_augs = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fprintf(stderr, "mmarml %s: unknown or incomplete option '%s'\n\n%s", argv[0],
                    argv[optind - 1], usage);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "mmarml %s: unexpected argument '%s'\n\n%s", argv[0], argv[optind],
                usage);
        return EXIT_USAGE;
    }
    if (o->mmar == NULL) {
        fprintf(stderr, "mmarml %s: -m <mmar> is required\n\n%s", argv[0], usage);
        return EXIT_USAGE;
    }
    if (want_values && o->values == NULL) {
        fprintf(stderr, "mmarml %s: --values is required\n\n%s", argv[0], usage);
        return EXIT_USAGE;
    }
    return -1; /* go on */
}

/* <mmar>/config/<file>, or the file itself when absolute. */
static char *config_path(const options *o)
{
    size_t n = strlen(o->mmar) + strlen(o->trainconf) + 16;
    char *path = malloc(n);

    if (path == NULL)
        return NULL;
    if (o->trainconf[0] == '/')
        snprintf(path, n, "%s", o->trainconf);
    else
        snprintf(path, n, "%s/config/%s", o->mmar, o->trainconf);
    return path;
}

static int load(mmarml_space_manager **m, const options *o, const char *command)
{
    char *path = config_path(o);
    int rc;

    if (path == NULL)
        return fail(command, "out of memory");
    rc = mmarml_space_manager_load(m, path);
    free(path);
    return rc == MMARML_OK ? 0 : fail(command, mmarml_error_message());
}

/* Print `json` and a newline; 0, or 2 when stdout fails. Reals with 15 significant digits,
 * so 0.1 prints as 0.1 (apply writes floats rounded to 15 digits). */
static int print_json(const json_t *json, const char *command)
{
    if (json_dumpf(json, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) != 0 || fputc('\n', stdout) == EOF ||
        fflush(stdout) != 0)
        return fail(command, "cannot write the output");
    return 0;
}

static int cmd_space(int argc, char **argv)
{
    mmarml_space_manager *m = NULL;
    json_t *json = NULL;
    options o;
    int rc = parse(argc, argv, &o, usage_space, 0);

    if (rc >= 0)
        return rc;
    if ((rc = load(&m, &o, "space")) != 0)
        return rc;
    if (mmarml_search_space_to_json(&json, mmarml_space_manager_space(m)) != MMARML_OK)
        rc = fail("space", mmarml_error_message());
    else
        rc = print_json(json, "space");
    json_decref(json);
    mmarml_space_manager_unref(m);
    return rc;
}

static int cmd_apply(int argc, char **argv)
{
    mmarml_space_manager *m = NULL;
    mmarml_recommendation *rec = NULL;
    json_t *values = NULL, *job = NULL;
    json_error_t err;
    options o;
    char msg[400];
    int rc = parse(argc, argv, &o, usage_apply, 1);

    if (rc >= 0)
        return rc;
    values = json_loads(o.values, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(values)) {
        if (values == NULL)
            snprintf(msg, sizeof(msg), "--values is not valid JSON (column %d): %s", err.column,
                     err.text);
        else
            snprintf(msg, sizeof(msg), "--values must be a JSON object {\"<PRL>\": value}");
        json_decref(values);
        return fail("apply", msg);
    }
    if ((rc = load(&m, &o, "apply")) != 0) {
        json_decref(values);
        return rc;
    }
    if (mmarml_recommendation_from_json(&rec, mmarml_space_manager_space(m), values) !=
        MMARML_OK) {
        snprintf(msg, sizeof(msg), "--values: %s", mmarml_error_message());
        rc = fail("apply", msg);
    } else if (mmarml_space_manager_apply(&job, NULL, m, rec,
                                          o.remove_search_augs
                                              ? MMARML_APPLY_F_REMOVE_SEARCH_AUGS
                                              : 0) != MMARML_OK) {
        rc = fail("apply", mmarml_error_message());
    } else {
        rc = print_json(job, "apply");
    }
    json_decref(job);
    json_decref(values);
    mmarml_recommendation_unref(rec);
    mmarml_space_manager_unref(m);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_main, stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mmarml %s\n", mmarml_version_string());
        return 0;
    }
    if (strcmp(argv[1], "run") == 0)
        return cli_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "admin") == 0)
        return cli_admin(argc - 1, argv + 1);
    if (strcmp(argv[1], "report") == 0)
        return cli_report(argc - 1, argv + 1);
    if (strcmp(argv[1], "prune-replay") == 0)
        return cli_prune_replay(argc - 1, argv + 1);
    if (strcmp(argv[1], "space") == 0)
        return cmd_space(argc - 1, argv + 1);
    if (strcmp(argv[1], "apply") == 0)
        return cmd_apply(argc - 1, argv + 1);
    fprintf(stderr, "mmarml: unknown command '%s'\n\n%s", argv[1], usage_main);
    return EXIT_USAGE;
}
