/**
 * @file mmarml/reference.h
 * @brief The bundled components, built on the public API only. Also reachable by name
 * through the registry.
 */
#ifndef MMARML_REFERENCE_H
#define MMARML_REFERENCE_H

#include "common.h"
#include "controller.h"
#include "handler.h"

MMARML_BEGIN_DECLS

/**
 * DummyController(max_rounds=1000): one recommendation at a time, floats and ints at their
 * range midpoint (log scale: geometric midpoint), enums at choice 0; stops after max_rounds
 * outcomes.
 */
MMARML_API int mmarml_controller_new_dummy(mmarml_controller **out, uint64_t max_rounds);
/**
 * TestController(total_recs, max_recs_each_time, seed=0): total_recs random recommendations
 * in batches of at most max_recs_each_time; the next batch once the previous one is all back.
 */
MMARML_API int mmarml_controller_new_test(mmarml_controller **out, uint64_t total_recs,
                                          uint64_t max_recs_each_time, uint64_t seed);
/**
 * RandomController(max_rounds=1000, seed=0): keeps every worker busy (first batch = number
 * of workers, from `_numWorkers`; then one per outcome) until max_rounds were issued; asks
 * to stop after max_rounds outcomes. Same seed and outcomes, same recommendations.
 */
MMARML_API int mmarml_controller_new_random(mmarml_controller **out, uint64_t max_rounds,
                                            uint64_t seed);
/**
 * GridController(points_per_float=5, max_rounds=0): the Cartesian product of every enum's
 * choices and `points_per_float` evenly spaced points of every float and int (log-spaced on
 * a log scale; ints without repeats), last param fastest; one per free worker until the grid
 * (or max_rounds, when not 0) is exhausted. More than 2^64 points is MMARML_EINVAL.
 */
MMARML_API int mmarml_controller_new_grid(mmarml_controller **out, int64_t points_per_float,
                                          uint64_t max_rounds);
/**
 * ReinforcementController(max_rounds=1000, seed=0, learning_rate=0.1): Clara's default. An
 * enum-only space whose combinations fit in max_rounds gets every combination at once;
 * otherwise a REINFORCE policy (docs/controllers.md), one recommendation per free worker,
 * asking to stop after max_rounds outcomes. Not bit-compatible with Clara.
 */
MMARML_API int mmarml_controller_new_reinforce(mmarml_controller **out, uint64_t max_rounds,
                                               uint64_t seed, double learning_rate);
/**
 * TPEController(max_rounds=1000, seed=0, n_startup=10): model-based search, a multivariate
 * Tree-structured Parzen Estimator (docs/controllers.md). n_startup random points, then the
 * best of 64 candidates by l(x)/g(x); one per free worker; pending recommendations count as
 * bad points so parallel proposals differ; asks to stop after max_rounds outcomes. The cost of
 * a suggestion is bounded whatever the history (25 good points, a 256-point reservoir).
 */
MMARML_API int mmarml_controller_new_tpe(mmarml_controller **out, uint64_t max_rounds,
                                         uint64_t seed, uint64_t n_startup);
/** DummyHandler: writes one trace line per event (issuer "DummyHandler"). */
MMARML_API int mmarml_handler_new_dummy(mmarml_handler **out);

MMARML_END_DECLS

#endif
