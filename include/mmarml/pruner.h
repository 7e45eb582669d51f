/**
 * @file mmarml/pruner.h
 * @brief Pruner: early stopping. Trainers report progress (a value at a step, higher is
 * better); a pruner sees every report of every job and says whether the job goes on.
 *
 * A job the pruner stops is aborted (its executor's `abort`, which for the MMAR executors
 * first writes a stop marker in the job MMAR) and ends with status `pruned`, whose score is
 * the job's best reported value (engine option `pruned_score`: or the last). Controllers
 * receive pruned outcomes with every report (mmarml_outcome_report()); their score is not an
 * ok score (mmarml_outcome_score() says ENOTFOUND), mmarml_outcome_value() gives it.
 *
 * Reports reach the engine through mmarml_job_report() (an executor or an in-process trainer)
 * and are recorded in the journal before the pruner sees them, so that a resumed run's pruner
 * is told everything again, in the same order, and decides as the uninterrupted run would.
 * Without a pruner, reports are recorded and nothing is ever stopped.
 *
 * Built-ins (docs/components.md, by registry name): MedianPruner, PercentilePruner,
 * ThresholdPruner, PatientPruner, WilcoxonPruner, ASHAPruner, HyperbandPruner,
 * LearnedCurvePruner.
 *
 * @par Thread-safety
 * Pruner methods are called one at a time (under a lock of the engine's own), from whatever
 * thread reported: a job thread, an executor's thread, or the engine thread while a resume
 * replays the journal. A pruner must not call back into the engine.
 */
#ifndef MMARML_PRUNER_H
#define MMARML_PRUNER_H

#include "common.h"
#include "context.h"

/** A pruner: sees every job's progress reports and stops hopeless jobs. */
typedef struct mmarml_pruner mmarml_pruner;

/** Method table of a pruner. Members are only ever appended. */
typedef struct mmarml_pruner_vtable {
    uint32_t struct_size; /**< sizeof(mmarml_pruner_vtable) as the implementer compiled it */
    uint32_t version; /**< MMARML_PRUNER_VTABLE_VERSION */
    /* --- version 1 --- */
    /**
     * Required. Job `job` (its name; `job_number`, the J<n> of its first attempt, is stable
     * across retries and resumes) reported `value` at `step`. Steps of one job strictly
     * increase (the engine drops the others before a pruner sees them); values are finite.
     * Set *stop_out to non-zero to stop the job. `ctx`: the job context; while a resume
     * replays the journal, a context made for the job with its `_jobName` and its
     * `_recommendation` (the journal's values) over the main context, so that a pruner
     * that decides by the job's params decides as it did (the decision is not acted on).
     * @return MMARML_OK, or a negative code: logged as the pruner's exception, the job
     *         goes on.
     */
    int MMARML_CALLBACK(report)(int *stop_out, mmarml_pruner *self, const char *job,
                                uint64_t job_number, double step, double value,
                                mmarml_context *ctx, void *user_data);
    /** Optional. Job `job` ended with `status` (enum mmarml_job_status), after its last
     *  report; also replayed on resume. */
    void MMARML_CALLBACK(job_ended)(mmarml_pruner *self, const char *job, uint64_t job_number,
                                    int status, void *user_data);
    /** Optional. Release user_data; called exactly once, on the last unref. */
    void MMARML_CALLBACK(destroy)(void *user_data);
    /* --- version 2 members are appended here --- */
} mmarml_pruner_vtable;

#define MMARML_PRUNER_VTABLE_VERSION 1 /**< The vtable version this header describes */
/** A static initialiser: struct_size and version set, every method NULL. */
#define MMARML_PRUNER_VTABLE_INIT { sizeof(mmarml_pruner_vtable), MMARML_PRUNER_VTABLE_VERSION, 0, 0, 0 }

/** Environment variable naming the job's progress file (MMAR executors, trainers). */
#define MMARML_PROGRESS_FILE_ENV "MMARML_PROGRESS_FILE"
/** Environment variable naming the job's stop marker (a trainer may check it, save, leave). */
#define MMARML_STOP_FILE_ENV "MMARML_STOP_FILE"

/** @name Job context keys of early stopping (set before end_job)
 * @{ */
/** double: the value a pruned job is judged by (its best or last report). `_score` stays
 *  what it always was: the score of an ok job only. */
#define MMARML_KEY_PRUNED_VALUE "_prunedValue"
/** bool, set with `_jobAborted` while the job runs: the abort is the pruner's. The MMAR
 *  executors then write the stop marker and give the trainer the grace period to leave
 *  before they signal it. */
#define MMARML_KEY_JOB_PRUNED "_jobPruned"
/** int: how many reports the job made (absent: none). */
#define MMARML_KEY_JOB_REPORTS "_jobReports"
/** double: the step of its last report. */
#define MMARML_KEY_JOB_LAST_STEP "_jobLastStep"
/** @} */

MMARML_BEGIN_DECLS

/** Zero `vt` and set struct_size and version. @return MMARML_OK or MMARML_EVERSION. */
MMARML_API int mmarml_pruner_vtable_init(mmarml_pruner_vtable *vt, uint32_t version);
/** Create a pruner. Same rules as mmarml_controller_new(): `report` is required. */
MMARML_API int mmarml_pruner_new(mmarml_pruner **out, const mmarml_pruner_vtable *vtable,
                                 void *user_data);
/** Take a reference. NULL-safe. @return its argument. @par Thread-safety Any thread. */
MMARML_API mmarml_pruner *mmarml_pruner_ref(mmarml_pruner *pruner);
/** Drop a reference; the last one calls destroy. NULL-safe. @return NULL. */
MMARML_API mmarml_pruner *mmarml_pruner_unref(mmarml_pruner *pruner);
/** @return The user_data given at creation (borrowed). */
MMARML_API void *mmarml_pruner_get_user_data(const mmarml_pruner *pruner);

/** Call the pruner's report (what the engine does); *stop_out is 0 on any error. */
MMARML_API int mmarml_pruner_report(int *stop_out, mmarml_pruner *pruner, const char *job,
                                    uint64_t job_number, double step, double value,
                                    mmarml_context *ctx);
/** Call the pruner's job_ended, if it has one. */
MMARML_API void mmarml_pruner_job_ended(mmarml_pruner *pruner, const char *job,
                                        uint64_t job_number, int status);

/** @name Built-in pruners (also by registry name, with the same args as JSON)
 * @{ */
/**
 * MedianPruner (Optuna's semantics): stop a job when its best value so far is below the
 * median of the values that ended jobs reported at the same step. Not before `n_startup`
 * jobs have ended (not pruned ones: ended ok), not before step `n_warmup_steps`, and only
 * at steps that are multiples of `interval` (>= 1).
 */
MMARML_API int mmarml_pruner_new_median(mmarml_pruner **out, uint64_t n_startup,
                                        double n_warmup_steps, uint64_t interval);
/** Flags of mmarml_pruner_new_median_ex(). */
enum {
    /** The median at a step is taken over every job that ended and reported there, pruned
     *  ones included (their reports up to the step they were stopped at), not over the jobs
     *  that ended ok alone (Optuna's rule). The jobs that ended ok are the ones earlier steps
     *  let through, so their median is a bar raised by the pruner's own choices; ASHA's rungs
     *  already count every job that reached them. n_startup still counts jobs that ended
     *  ok. */
    MMARML_MEDIAN_INCLUDE_PRUNED = 1u << 0
};

/**
 * MedianPruner with options of its own (ours, not Optuna's).
 *
 * With `min_rank_correlation` above -1, a step stops jobs only when, among the jobs that
 * ended ok and reported past it, the Spearman rank correlation between their values at that
 * step and their last reported values is at least `min_rank_correlation` (in [-1, 1]; with
 * fewer than three such jobs it counts as 0). For learning curves that may cross, where
 * early values rank jobs unlike their final ones.
 *
 * `flags`: 0 or MMARML_MEDIAN_INCLUDE_PRUNED.
 *
 * -1 and 0 are mmarml_pruner_new_median() exactly.
 * @return MMARML_OK; MMARML_EINVAL (a bad argument or an unknown flag); MMARML_ENOMEM.
 */
MMARML_API int mmarml_pruner_new_median_ex(mmarml_pruner **out, uint64_t n_startup,
                                           double n_warmup_steps, uint64_t interval,
                                           double min_rank_correlation, unsigned flags);
/**
 * PercentilePruner (Optuna's semantics): MedianPruner with another bar. A job is stopped when
 * its best value so far is below the value that keeps the top `percentile` percent of what
 * the jobs that ended ok reported at the same step (linear interpolation between them, as
 * Optuna's numpy percentile at 100 - `percentile`: with 25, a job must be in the top
 * quarter). A step where fewer than `n_min_trials` ended jobs reported is not judged.
 * Percentile 50 and n_min_trials 1 are mmarml_pruner_new_median_ex() exactly.
 * @param[out] out  The new pruner (refcount 1).
 * @param percentile  The top percent kept, in [0, 100]: 0 stops every job below the best
 *                    ended one, 100 only a job below every ended one.
 * @param n_startup  Jobs that must end ok before any stop.
 * @param n_warmup_steps  No stop before this step (>= 0).
 * @param interval  Judge only at the first report of each interval of this many steps after
 *                  the warm-up (>= 1).
 * @param n_min_trials  Ended jobs that must have reported at a step for it to judge (>= 1).
 * @param min_rank_correlation  As mmarml_pruner_new_median_ex(): -1 for Optuna's rule.
 * @param flags  As mmarml_pruner_new_median_ex(): 0 for Optuna's rule.
 * @return MMARML_OK; MMARML_EINVAL; MMARML_ENOMEM.
 * @since 0.3
 */
MMARML_API int mmarml_pruner_new_percentile(mmarml_pruner **out, double percentile,
                                            uint64_t n_startup, double n_warmup_steps,
                                            uint64_t interval, uint64_t n_min_trials,
                                            double min_rank_correlation, unsigned flags);
/**
 * A min_resource or max_resource of ASHAPruner and HyperbandPruner learned from the jobs
 * that end ok (Optuna's "auto"): nothing is judged until a job has ended ok; at the next
 * report, with L the largest last step of the jobs that ended ok so far, min_resource
 * becomes max(1, floor(L / 100)) and max_resource L (Optuna's Hyperband: L + 1; here no rung
 * is at the last step, where a stop would only lose a finished training).
 * @since 0.3
 */
#define MMARML_PRUNER_RESOURCE_AUTO (-1.0)
/**
 * ASHAPruner (asynchronous successive halving, Li et al. 2020): rungs at the steps
 * min_resource * eta^k that are below max_resource (0: no maximum). A job's value at a rung
 * is its first report at a step at or past it. The job goes on when that value is at least
 * the k-th best of the values every job reported at that rung so far (itself included),
 * k = max(1, floor(n / eta)): Optuna's rule, so the first jobs at a rung go on only when they
 * are the best there. Ties keep the job. eta (reduction_factor) >= 2, min_resource > 0;
 * either resource may be MMARML_PRUNER_RESOURCE_AUTO.
 */
MMARML_API int mmarml_pruner_new_asha(mmarml_pruner **out, double min_resource,
                                      double reduction_factor, double max_resource);
/**
 * HyperbandPruner: several ASHA brackets, bracket s with minimum resource
 * min_resource * eta^s (s = 0 .. n_brackets-1, n_brackets from the ratio max/min); each job
 * is put in one bracket by its job number (round robin, weighted as Hyperband's budgets), and
 * compared only with the jobs of its bracket. max_resource > 0 (the steps of a whole
 * training) or, as Optuna's default, MMARML_PRUNER_RESOURCE_AUTO; min_resource may be
 * MMARML_PRUNER_RESOURCE_AUTO too.
 */
MMARML_API int mmarml_pruner_new_hyperband(mmarml_pruner **out, double min_resource,
                                           double reduction_factor, double max_resource);
/**
 * ASHAPruner with Optuna's two other SuccessiveHalvingPruner arguments.
 *
 * `min_early_stopping_rate` s moves the rungs to min_resource * eta^(s + k): the first one
 * at min_resource * eta^s. `bootstrap_count` b: a job that reaches a rung while it holds b
 * values or fewer (its own included) stops there, so no job goes on before more than b jobs
 * reached the rung (Optuna's rule; b 0 turns it off). Optuna refuses b > 0 with an "auto"
 * min_resource; here the count starts once the resources are learned.
 *
 * 0 and 0 are mmarml_pruner_new_asha() exactly.
 * @return MMARML_OK; MMARML_EINVAL; MMARML_ENOMEM.
 * @since 0.3
 */
MMARML_API int mmarml_pruner_new_asha_ex(mmarml_pruner **out, double min_resource,
                                         double reduction_factor, double max_resource,
                                         uint64_t min_early_stopping_rate,
                                         uint64_t bootstrap_count);
/**
 * HyperbandPruner with Optuna's `bootstrap_count`, applied in every bracket as
 * mmarml_pruner_new_asha_ex() applies it. 0 is mmarml_pruner_new_hyperband() exactly.
 * @return MMARML_OK; MMARML_EINVAL; MMARML_ENOMEM.
 * @since 0.3
 */
MMARML_API int mmarml_pruner_new_hyperband_ex(mmarml_pruner **out, double min_resource,
                                              double reduction_factor, double max_resource,
                                              uint64_t bootstrap_count);
/**
 * ThresholdPruner (Optuna's semantics): stop a job whose latest value is below `lower` or
 * above `upper`. It compares no jobs, so it stops a diverged job (a loss gone wild, an
 * accuracy stuck at chance) from the first job of a run on. Not before step
 * `n_warmup_steps`, and only at a job's first report in each interval of `interval` steps
 * after the warm-up.
 * @param[out] out  The new pruner (refcount 1).
 * @param lower  -INFINITY for none.
 * @param upper  INFINITY for none; at least one of them is finite, lower <= upper.
 * @param n_warmup_steps  No stop before this step (>= 0).
 * @param interval  >= 1.
 * @return MMARML_OK; MMARML_EINVAL; MMARML_ENOMEM.
 * @since 0.3
 */
MMARML_API int mmarml_pruner_new_threshold(mmarml_pruner **out, double lower, double upper,
                                           double n_warmup_steps, uint64_t interval);
/**
 * PatientPruner (Optuna's semantics): a job may be stopped only once it stopped improving,
 * that is when the best of its last `patience` + 1 reports is below the best of its reports
 * before them by more than `min_delta`. Then `wrapped` decides; without one, the job stops.
 * So wrapping a pruner never stops a job that is still improving, and PatientPruner alone
 * stops a job that has not come back to its best for `patience` + 1 reports. `wrapped` is
 * told every report and every end, so that its state is the one it would have alone; only
 * its stops wait.
 * @param[out] out  The new pruner (refcount 1).
 * @param wrapped  The pruner that decides once the job stalled (a reference is taken), or
 *                 NULL.
 * @param patience  Reports without improvement, 0 .. 1000000.
 * @param min_delta  How much worse than the best before counts as no improvement (>= 0).
 * @return MMARML_OK; MMARML_EINVAL; MMARML_ENOMEM.
 * @since 0.3
 */
MMARML_API int mmarml_pruner_new_patient(mmarml_pruner **out, mmarml_pruner *wrapped,
                                         uint64_t patience, double min_delta);
/**
 * WilcoxonPruner (Optuna's semantics, Optuna 3.6's rule): for values that do not converge,
 * one per problem instance, cross-validation fold or validation case, with the instance as
 * the step. A job is stopped when the one-sided Wilcoxon signed-rank test of its values
 * against the best ended job's, paired by step, gives a p-value below `p_threshold`, unless
 * the mean of its values is at least the best job's mean. The best job is the one, among
 * those that ended ok, with the highest mean of its reports (the first of equal means).
 * Not before `n_startup_steps` pairs, and never on fewer than 2. Steps may come in any
 * order in a run that takes them so (mmarml_engine_set_report_steps()).
 * The p-value is exact up to 50 pairs, ties and zeros included, and the normal
 * approximation past them; past 1,000 pairs a job is tested again once its pairs grew by a
 * thirty-second.
 * @param[out] out  The new pruner (refcount 1).
 * @param p_threshold  In [0, 1]; larger stops more. Optuna's default is 0.1.
 * @param n_startup_steps  Pairs before the first test; Optuna's default is 2.
 * @return MMARML_OK; MMARML_EINVAL; MMARML_ENOMEM.
 * @since 0.3
 */
MMARML_API int mmarml_pruner_new_wilcoxon(mmarml_pruner **out, double p_threshold,
                                          uint64_t n_startup_steps);
/**
 * LearnedCurvePruner (ours): for learning curves that may cross. From the jobs that ended ok
 * it learns what share of its final value (the mean of its last three reports) a job has
 * reached at each step, as a function of its config (the job context's `_recommendation`,
 * placed in the unit cube by mmarml_param_to_unit()): per step, least squares, linear in the
 * config, quadratic once a step has 2d + 4 jobs (d params, at most 8). A job is stopped when
 * its final value, estimated from its reports and the shares predicted for its config, raised
 * by `std_errors` standard errors (the reports' noise and the fitted shares' own error), is
 * below the best ended job's final value estimated the same way, from its reports up to the
 * same step (a job that repeats the best ended one is never stopped). Not before it learned
 * from `n_startup_trials` jobs that ended ok (and d + 2 of them reported at the step); a step
 * no ended job reported, and a job without `_recommendation`, are not judged. For values
 * that grow from 0 towards a positive final value (accuracy, Dice; a loss reported as its
 * drop from the start): a job whose last three reports average 0 or less is not learned
 * from. bench/pruning's `learned` variant.
 * @param[out] out  The new pruner (refcount 1).
 * @param n_startup_trials  Jobs that must end ok before any stop.
 * @param std_errors  The benefit of doubt, in standard errors, in [0, 10]; 2 is what
 *                    bench/pruning measures.
 * @return MMARML_OK; MMARML_EINVAL; MMARML_ENOMEM.
 * @since 0.3
 */
MMARML_API int mmarml_pruner_new_learned_curve(mmarml_pruner **out, uint64_t n_startup_trials,
                                               double std_errors);
/** @} */

/**
 * Report progress of a running job: `value` (higher is better) at `step` (>= 0, strictly
 * increasing per job; others are dropped and said in the trace). Recorded in the journal,
 * then given to the run's pruner. `*stop_out` (may be NULL) is set when the job is to stop
 * (now or earlier): the engine aborts it, and a trainer should leave. Without an engine
 * (a job context made by hand) it does nothing.
 * @param job_ctx The job context execute() was given.
 * @param step     How far the job got (epochs, iterations, seconds...).
 * @param value    The metric there, higher is better.
 * @param[out] stop_out  Set to 1 when the job is to stop, else 0; may be NULL.
 * @return MMARML_OK; MMARML_EINVAL (NULL, a non-finite value or step, a negative step);
 *         MMARML_EIO (the journal cannot be written: the run stops).
 * @par Thread-safety Any thread.
 */
MMARML_API int mmarml_job_report(mmarml_context *job_ctx, double step, double value,
                                 int *stop_out);
/**
 * mmarml_job_report() with the time the value was measured: a trainer's own clock, such as
 * the progress file's `"time"`, read later (a cluster's shared file system, at the poll
 * interval). mmarml_job_report() is this with NAN: the time of the call. The time is in the
 * journal with the report, and MMARTensorboardHandler draws the report at it. A time more
 * than five minutes before the job started or after now cannot be when the value was
 * measured (a clock far off): the report is kept with the time of the call, and the trace
 * says so.
 * @param job_ctx   The job context execute() was given.
 * @param step      How far the job got, as mmarml_job_report()'s.
 * @param value     The metric there, higher is better.
 * @param time      When `value` was measured: seconds since the Unix epoch (finite, >= 0),
 *                  or NAN for now.
 * @param[out] stop_out  Set to 1 when the job is to stop, else 0; may be NULL.
 * @return As mmarml_job_report(); MMARML_EINVAL also for a time that is negative or infinite.
 * @par Thread-safety Any thread.
 * @since 0.3
 */
MMARML_API int mmarml_job_report_at(mmarml_context *job_ctx, double step, double value,
                                    double time, int *stop_out);
/** @return 1 when the pruner stopped the job of `job_ctx`, else 0. Any thread. */
MMARML_API int mmarml_job_should_stop(const mmarml_context *job_ctx);
/**
 * The reports the engine accepted from this attempt of the job so far, for a handler's
 * end_job (MMARTensorboardHandler writes them as the job's curve), an executor or an
 * in-process trainer.
 * @param job_ctx  A job context the engine made (execute()'s, or a handler's start_job /
 *                 end_job one).
 * @param[out] pairs  A copy: `*n` (step, value) pairs in the order they were made (step
 *                    order, unless the run takes steps in any order), released with
 *                    mmarml_free(); NULL when there are none.
 * @param[out] n      How many.
 * @return MMARML_OK; MMARML_EINVAL (a NULL argument); MMARML_ENOTFOUND (not the context of
 *         a job the engine runs, such as a job replayed on resume, whose reports are in the
 *         journal); MMARML_ENOMEM.
 * @par Thread-safety Any thread.
 * @since 0.3
 */
MMARML_API int mmarml_job_reports(const mmarml_context *job_ctx, double **pairs, size_t *n);
/**
 * When each of mmarml_job_reports()'s reports was measured, in the same order: seconds since
 * the Unix epoch, NAN for a report restored from a journal without them (an earlier build's).
 * @param job_ctx  A job context the engine made, as mmarml_job_reports()'s.
 * @param[out] times  A copy of `*n` times, released with mmarml_free(); NULL when none.
 * @param[out] n      How many.
 * @return As mmarml_job_reports().
 * @par Thread-safety Any thread.
 * @since 0.3
 */
MMARML_API int mmarml_job_report_times(const mmarml_context *job_ctx, double **times,
                                       size_t *n);

/**
 * For a trainer process (any program linked with libmmarml): append the report
 * `{"step": step, "value": value[, "metric": metric], "time": now}` as one line to the file
 * named by $MMARML_PROGRESS_FILE, in one write(). Does nothing (MMARML_OK) when the variable
 * is not set: the trainer runs outside mmarml.
 * @return MMARML_OK; MMARML_EINVAL (non-finite value, bad step); MMARML_EIO (the file).
 */
MMARML_API int mmarml_trainer_report(double step, double value, const char *metric);
/** For a trainer process: 1 when the file named by $MMARML_STOP_FILE exists (the job was
 *  stopped: save and leave within the grace period), else 0. */
MMARML_API int mmarml_trainer_should_stop(void);

MMARML_END_DECLS

#endif
