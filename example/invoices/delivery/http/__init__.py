"""HTTP delivery of the module: a JSON API mounted by the project's urls."""
