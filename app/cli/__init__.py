"""The command-line tools: digitpad-serve, digitpad-models (with the gate) and digitpad-data."""
