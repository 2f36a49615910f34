"""The slice of the platform's ``mod_sample`` package that ``mod_api`` reads (its models)."""
