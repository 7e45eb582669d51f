"""Clara's automl.components."""
