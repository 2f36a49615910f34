"""The slice of the platform's ``mod_customized`` package that ``mod_api`` reads (its models)."""
