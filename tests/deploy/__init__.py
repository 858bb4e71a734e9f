"""Tests of the production path: settings, gunicorn with WhiteNoise, shared state, sign-in limits, CSP."""
