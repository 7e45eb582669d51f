// cxx_consumer: libmmarml from C++, built against an installed prefix through pkg-config:
//
//   g++ -std=c++11 cxx_consumer.cpp $(pkg-config --cflags --libs libmmarml) -o cxx_consumer
//
// The executor is a C++ object behind user_data; the search is the bundled RandomController
// (found through the registry by name, as config_automl.json names it) on three workers.
#include <mmarml.h>

#include <cmath>
#include <cstdio>
#include <mutex>
#include <string>

namespace {

// A stand-in for a training job: the "validation accuracy" of a learning rate and a width.
class Trainer {
public:
    double train(double lr, double width)
    {
        double x = std::log10(lr) + 2.5; // best near lr = 10^-2.5
        double accuracy = 0.95 - 0.1 * x * x - 0.002 * (width - 6) * (width - 6);
        std::lock_guard<std::mutex> guard(lock_);
        ++runs_;
        if (accuracy > best_)
            best_ = accuracy;
        return accuracy;
    }
    int runs() const { return runs_; }
    double best() const { return best_; }

private:
    std::mutex lock_;
    int runs_ = 0;
    double best_ = -1;
};

int determine(mmarml_search_space **out, mmarml_executor *, mmarml_context *, void *)
{
    int rc = mmarml_search_space_new(out, "cxx");
    if (rc == MMARML_OK)
        rc = mmarml_search_space_add_float(*out, "lr.float.$0:learning_rate", "lr", 1e-5, 1e-1,
                                           MMARML_PARAM_F_LOG);
    if (rc == MMARML_OK)
        rc = mmarml_search_space_add_int(*out, "net.int.model$0:width", "net", 1, 12, 0);
    return rc;
}

int execute(int *status, double *score, mmarml_executor *, const mmarml_recommendation *rec,
            mmarml_context *, void *user_data)
{
    const double *v = mmarml_recommendation_values(rec);
    *score = static_cast<Trainer *>(user_data)->train(v[0], v[1]);
    *status = MMARML_JOB_OK;
    return MMARML_OK;
}

} // namespace

int main()
{
    Trainer trainer;
    mmarml_executor_vtable vt;
    mmarml_executor_vtable_init(&vt, MMARML_EXECUTOR_VTABLE_VERSION);
    vt.determine_search_space = determine;
    vt.execute = execute;

    mmarml_registry *registry = nullptr;
    mmarml_controller *controller = nullptr;
    mmarml_executor *executor = nullptr;
    mmarml_engine *engine = nullptr;
    mmarml_context *ctx = nullptr;
    mmarml_engine_options opts = MMARML_ENGINE_OPTIONS_INIT;
    opts.workers = "0:1:2";
    json_t *spec = json_pack("{s:s, s:{s:i, s:i}}", "name", "RandomController", "args",
                             "max_rounds", 60, "seed", 3);

    int rc = mmarml_registry_new(&registry);
    if (rc == MMARML_OK)
        rc = mmarml_registry_create_controller(&controller, registry, spec, "cxx_consumer");
    if (rc == MMARML_OK)
        rc = mmarml_executor_new(&executor, &vt, &trainer);
    if (rc == MMARML_OK)
        rc = mmarml_engine_new(&engine, controller, executor, &opts);
    if (rc == MMARML_OK)
        rc = mmarml_context_new(&ctx, nullptr);
    if (rc == MMARML_OK)
        rc = mmarml_engine_run(engine, ctx);
    if (rc != MMARML_OK)
        std::fprintf(stderr, "cxx_consumer: %s\n", mmarml_error_message());
    else
        std::printf("cxx_consumer: libmmarml %s, %d jobs on 3 workers, best accuracy %.4f\n",
                    mmarml_version_string(), trainer.runs(), trainer.best());

    json_decref(spec);
    mmarml_context_unref(ctx);
    mmarml_engine_unref(engine);
    mmarml_executor_unref(executor);
    mmarml_controller_unref(controller);
    mmarml_registry_unref(registry);
    return rc == MMARML_OK && trainer.runs() == 60 && trainer.best() > 0.9 ? 0 : 1;
}
