"""Clara Train's AutoML names, on libmmarml (docs/python.md, "Clara's Python components"):
the package a Clara bring-your-own controller or handler imports, so that it runs
unchanged under `mmarml run` or `mmarml.optimize`."""
