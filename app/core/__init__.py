"""The reading itself, free of the web: decode, preprocess, segment, run a model, explain it."""
