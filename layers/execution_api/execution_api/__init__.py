"""Shared code of the execution-api Lambda functions: domain, data access and HTTP mapping."""
