"""Probes that describe the student's LeNet as data (for the trusted training check)."""
MODEL_PROBES = {}
