"""Clara's automl.components.controllers."""
