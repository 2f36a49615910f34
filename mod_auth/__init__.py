"""The slice of the platform's ``mod_auth`` package that ``mod_api`` reads (its models)."""
