"""Scoring: rules that level every commit before any LLM call, watch topics, path kinds."""
