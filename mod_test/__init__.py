"""The slice of the platform's ``mod_test`` package that ``mod_api`` reads (its models)."""
