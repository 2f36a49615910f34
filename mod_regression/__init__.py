"""The slice of the platform's ``mod_regression`` package that ``mod_api`` reads (its models)."""
