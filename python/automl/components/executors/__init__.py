"""Clara's automl.components.executors."""
