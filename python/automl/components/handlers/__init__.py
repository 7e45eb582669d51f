"""Clara's automl.components.handlers."""
