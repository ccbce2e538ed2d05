"""The Open Inference Protocol v2 (KServe, Triton), REST, beside the API: health,
metadata, and inference on batches, so standard clients (tritonclient, KServe) work
unchanged. Its wire types, its codec and its routes each have a module."""
