"""Bring-your-own code, as a Clara MMAR keeps it in BYOC/: the stand-in trainer imports it,
which works only when set_env.sh put this job's BYOC folder on PYTHONPATH."""
LOADED_FROM = __file__
