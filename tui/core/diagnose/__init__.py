"""Diagnosis: a failure the transports reported, turned into a plain-language cause and fix."""
