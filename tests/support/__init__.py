"""Helpers shared by the test modules: service discovery, factories, small fake servers."""
