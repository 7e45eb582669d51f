/*
 * mmarml-demo-trainer: the trainer of examples/mmar-demo, a real (small) training job.
 *
 * Data: two interleaved spirals (a classic non-linear problem), generated deterministically:
 * 800 training and 400 validation points with label noise-free coordinates plus jitter.
 * Model: a multi-layer perceptron 2 -> hidden (tanh) -> 1 (sigmoid), trained with minibatch
 * SGD on the cross-entropy, L2 weight decay, and input augmentations. Validation accuracy
 * after each epoch; the best is the job's score.
 *
 * Reads <mmar>/config/config_train.json:
 *   epochs, learning_rate                          (first level)
 *   train.model.args.hidden                        (units of the hidden layer)
 *   train.optimizer.args.weight_decay, batch_size
 *   train.pre_transforms[]: {"name": "RandomNoise", "args": {"prob", "std"}, "disabled"}
 *                           {"name": "RandomScale", "args": {"prob", "range"}, "disabled"}
 * Writes <mmar>/models/train_stats.json ({"best_validation_metric", ...}) and
 * <mmar>/models/model.json (the weights). Under mmarml it reports the validation accuracy of
 * every epoch (mmarml_trainer_report: the progress file protocol) and, when the pruner
 * stopped the job (mmarml_trainer_should_stop), saves what it has and leaves.
 *
 * Usage: mmarml-demo-trainer <mmar_root>
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <mmarml.h>

#define NTRAIN 800
#define NVAL 400
#define MAX_HIDDEN 256

typedef struct {
    double x[2];
    int y;
} sample;

typedef struct {
    int epochs, hidden, batch;
    double lr, weight_decay;
    double noise_prob, noise_std, scale_prob, scale_range;
} settings;

static unsigned long long rng_state = 42;

static double uniform(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) * 0x1.0p-53;
}

static double gaussian(void)
{
    double u = uniform() + 1e-12, v = uniform();
    return sqrt(-2 * log(u)) * cos(2 * 3.14159265358979323846 * v);
}

/* Point i of n on spiral `cls` (0 or 1), with jitter. */
static void spiral(sample *s, int i, int n, int cls)
{
    double t = 0.25 + 3.5 * (double)i / n, r = t / 3.75, a = t * 1.6 + cls * 3.14159265358979;

    s->x[0] = r * cos(a) + 0.03 * gaussian();
    s->x[1] = r * sin(a) + 0.03 * gaussian();
    s->y = cls;
}

static void make_data(sample *train, sample *val)
{
    int i;

    rng_state = 12345; /* the same data for every job */
    for (i = 0; i < NTRAIN; i++)
        spiral(&train[i], i / 2, NTRAIN / 2, i % 2);
    for (i = 0; i < NVAL; i++)
        spiral(&val[i], i / 2, NVAL / 2, i % 2);
}

/* ---- config ---- */

static double number(const json_t *j, double def)
{
    return json_is_number(j) ? json_number_value(j) : def;
}

static int read_settings(settings *s, const char *path)
{
    json_error_t err;
    json_t *c = json_load_file(path, 0, &err), *train, *pre;
    size_t i;

    if (c == NULL) {
        fprintf(stderr, "trainer: cannot read %s: %s (line %d)\n", path, err.text, err.line);
        return -1;
    }
    train = json_object_get(c, "train");
    s->epochs = (int)number(json_object_get(c, "epochs"), 30);
    s->lr = number(json_object_get(c, "learning_rate"), 0.01);
    s->hidden = (int)number(json_object_get(json_object_get(json_object_get(train, "model"),
                                                            "args"),
                                            "hidden"),
                            8);
    s->weight_decay = number(json_object_get(json_object_get(json_object_get(train,
                                                                             "optimizer"),
                                                             "args"),
                                             "weight_decay"),
                             0);
    s->batch = (int)number(json_object_get(json_object_get(json_object_get(train, "optimizer"),
                                                           "args"),
                                           "batch_size"),
                           32);
    pre = json_object_get(train, "pre_transforms");
    for (i = 0; i < json_array_size(pre); i++) {
        json_t *t = json_array_get(pre, i), *args = json_object_get(t, "args");
        const char *name = json_string_value(json_object_get(t, "name"));
        if (name == NULL || json_is_true(json_object_get(t, "disabled")))
            continue;
        if (strcmp(name, "RandomNoise") == 0) {
            s->noise_prob = number(json_object_get(args, "prob"), 0);
            s->noise_std = number(json_object_get(args, "std"), 0.05);
        } else if (strcmp(name, "RandomScale") == 0) {
            s->scale_prob = number(json_object_get(args, "prob"), 0);
            s->scale_range = number(json_object_get(args, "range"), 0.1);
        }
    }
    json_decref(c);
    if (s->epochs < 1 || s->epochs > 10000 || s->hidden < 1 || s->hidden > MAX_HIDDEN ||
        s->batch < 1 || !(s->lr > 0) || !(s->weight_decay >= 0)) {
        fprintf(stderr, "trainer: settings out of range in %s\n", path);
        return -1;
    }
    return 0;
}

/* ---- the network ---- */

typedef struct {
    int h;
    double w1[MAX_HIDDEN][2], b1[MAX_HIDDEN], w2[MAX_HIDDEN], b2;
} mlp;

static double forward(const mlp *m, const double x[2], double *act)
{
    double z = m->b2;
    int j;

    for (j = 0; j < m->h; j++) {
        act[j] = tanh(m->w1[j][0] * x[0] + m->w1[j][1] * x[1] + m->b1[j]);
        z += m->w2[j] * act[j];
    }
    return 1 / (1 + exp(-z));
}

static double accuracy(const mlp *m, const sample *data, int n)
{
    double act[MAX_HIDDEN];
    int i, right = 0;

    for (i = 0; i < n; i++)
        right += (forward(m, data[i].x, act) >= 0.5) == data[i].y;
    return (double)right / n;
}

/* One minibatch step. */
static double step(mlp *m, const sample *batch, int n, const settings *s)
{
    static double gw1[MAX_HIDDEN][2], gb1[MAX_HIDDEN], gw2[MAX_HIDDEN];
    double gb2 = 0, loss = 0, act[MAX_HIDDEN];
    int i, j;

    memset(gw1, 0, sizeof(gw1));
    memset(gb1, 0, sizeof(gb1));
    memset(gw2, 0, sizeof(gw2));
    for (i = 0; i < n; i++) {
        double x[2] = {batch[i].x[0], batch[i].x[1]}, p, d;
        if (s->noise_prob > 0 && uniform() < s->noise_prob) {
            x[0] += s->noise_std * gaussian();
            x[1] += s->noise_std * gaussian();
        }
        if (s->scale_prob > 0 && uniform() < s->scale_prob) {
            double f = 1 + s->scale_range * (2 * uniform() - 1);
            x[0] *= f;
            x[1] *= f;
        }
        p = forward(m, x, act);
        loss -= batch[i].y ? log(p + 1e-12) : log(1 - p + 1e-12);
        d = p - batch[i].y; /* d loss / d z */
        gb2 += d;
        for (j = 0; j < m->h; j++) {
            double dh = d * m->w2[j] * (1 - act[j] * act[j]);
            gw2[j] += d * act[j];
            gb1[j] += dh;
            gw1[j][0] += dh * x[0];
            gw1[j][1] += dh * x[1];
        }
    }
    for (j = 0; j < m->h; j++) {
        m->w2[j] -= s->lr * (gw2[j] / n + s->weight_decay * m->w2[j]);
        m->b1[j] -= s->lr * gb1[j] / n;
        m->w1[j][0] -= s->lr * (gw1[j][0] / n + s->weight_decay * m->w1[j][0]);
        m->w1[j][1] -= s->lr * (gw1[j][1] / n + s->weight_decay * m->w1[j][1]);
    }
    m->b2 -= s->lr * gb2 / n;
    return loss / n;
}

static int save(const char *mmar, const mlp *m, const settings *s, double best, int best_epoch,
                double loss)
{
    char dir[4096], path[4200];
    json_t *stats, *model, *w = json_array();
    const char *gpus = getenv("CUDA_VISIBLE_DEVICES");
    int j, rc = 0;

    snprintf(dir, sizeof(dir), "%s/models", mmar);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "trainer: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    for (j = 0; j < m->h; j++)
        json_array_append_new(w, json_pack("[f, f, f, f]", m->w1[j][0], m->w1[j][1], m->b1[j],
                                           m->w2[j]));
    snprintf(path, sizeof(path), "%s/model.json", dir);
    model = json_pack("{s:i, s:o, s:f}", "hidden", m->h, "units", w, "bias", m->b2);
    rc |= json_dump_file(model, path, JSON_COMPACT);
    json_decref(model);
    stats = json_pack("{s:f, s:i, s:i, s:f, s:i, s:f, s:f, s:s}", "best_validation_metric",
                      best, "best_epoch", best_epoch, "epochs", s->epochs, "train_loss", loss,
                      "hidden", s->hidden, "learning_rate", s->lr, "weight_decay",
                      s->weight_decay, "cuda_visible_devices", gpus ? gpus : "");
    snprintf(path, sizeof(path), "%s/train_stats.json", dir);
    rc |= json_dump_file(stats, path, JSON_INDENT(2));
    json_decref(stats);
    return rc;
}

int main(int argc, char **argv)
{
    static sample train[NTRAIN], val[NVAL];
    static mlp m;
    settings s;
    char path[4096];
    double best = 0, loss = 0;
    int epoch, i, j, best_epoch = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: mmarml-demo-trainer <mmar_root>\n");
        return 2;
    }
    memset(&s, 0, sizeof(s));
    snprintf(path, sizeof(path), "%s/config/config_train.json", argv[1]);
    if (read_settings(&s, path) != 0)
        return 1;
    make_data(train, val);
    rng_state = 777; /* the same initial weights for every job */
    m.h = s.hidden;
    for (j = 0; j < m.h; j++) {
        m.w1[j][0] = gaussian();
        m.w1[j][1] = gaussian();
        m.b1[j] = 0.1 * gaussian();
        m.w2[j] = gaussian() / sqrt(m.h);
    }
    printf("trainer: epochs %d, lr %g, hidden %d, weight_decay %g, batch %d, noise %g, "
           "scale %g, CUDA_VISIBLE_DEVICES=%s\n",
           s.epochs, s.lr, s.hidden, s.weight_decay, s.batch, s.noise_prob, s.scale_prob,
           getenv("CUDA_VISIBLE_DEVICES") ? getenv("CUDA_VISIBLE_DEVICES") : "");
    for (epoch = 1; epoch <= s.epochs; epoch++) {
        double acc;
        /* shuffle */
        for (i = NTRAIN - 1; i > 0; i--) {
            int k = (int)(uniform() * (i + 1));
            sample t = train[i];
            train[i] = train[k];
            train[k] = t;
        }
        for (i = 0; i < NTRAIN; i += s.batch)
            loss = step(&m, train + i, i + s.batch <= NTRAIN ? s.batch : NTRAIN - i, &s);
        acc = accuracy(&m, val, NVAL);
        if (acc > best) {
            best = acc;
            best_epoch = epoch;
        }
        if (epoch % 10 == 0 || epoch == s.epochs)
            printf("epoch %d: loss %.4f, validation accuracy %.4f\n", epoch, loss, acc);
        if (mmarml_trainer_report(epoch, acc, "val_acc") != MMARML_OK)
            fprintf(stderr, "trainer: %s\n", mmarml_error_message()); /* training goes on */
        if (mmarml_trainer_should_stop()) {
            printf("epoch %d: stopped by the pruner; saving and leaving\n", epoch);
            break;
        }
    }
    if (save(argv[1], &m, &s, best, best_epoch, loss) != 0)
        return 1;
    printf("best validation accuracy %.4f at epoch %d\n", best, best_epoch);
    return 0;
}
