"""Between libmmarml and Python components (components.c calls these): libmmarml's raw data
in, Clara's automl.defs objects to the component, recommendations back out as JSON text.
"""
import json

from automl.defs import Context, Outcome, Recommendation, SearchSpace


def _recommendations(recs, method):
    if recs is None:
        recs = []
    out = []
    for rec in recs:
        if not isinstance(rec, Recommendation):
            raise TypeError("%s returned a %s where a Recommendation belongs"
                            % (method, type(rec).__name__))
        out.append({"rec_id": rec.rec_id, "values": dict(rec.result.values)})
    return json.dumps(out)


def set_search_space(controller, raw_space, ctx):
    controller.set_search_space(SearchSpace.from_json(raw_space), Context(ctx))


def initial_recommendation(controller, ctx):
    return _recommendations(controller.initial_recommendation(Context(ctx)),
                            "initial_recommendation")


def refine_recommendation(controller, raw_outcome, ctx):
    rec_id, job, status, score, values = raw_outcome
    outcome = Outcome(rec_id, score, status, job, values)
    return _recommendations(controller.refine_recommendation(outcome, Context(ctx)),
                            "refine_recommendation")


def handle_event(handler, event, ctx):
    method = getattr(handler, event, None)
    if callable(method):
        method(Context(ctx))


def report(pruner, job, job_number, step, value, ctx):
    return bool(pruner.report(job, job_number, step, value, Context(ctx)))


def job_ended(pruner, job, job_number, status):
    method = getattr(pruner, "job_ended", None)
    if callable(method):
        method(job, job_number, status)
