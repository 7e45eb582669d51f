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
/** DummyHandler: writes one trace line per event (issuer "DummyHandler"). */
MMARML_API int mmarml_handler_new_dummy(mmarml_handler **out);

MMARML_END_DECLS

#endif
