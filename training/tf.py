"""TensorFlow and Keras, for the training modules that need them (`from training.tf
import keras`): the one place they are loaded, quietly. TensorFlow's C++ logging is
turned down first (no cuInit error on a machine without a GPU, no converter chatter), and
what its native libraries print while they load, before that setting applies (absl's
preamble, "Could not find cuda drivers"), is held back and shown only if the import
fails. Set TF_CPP_MIN_LOG_LEVEL to 0 to see TensorFlow's logs.

Loading takes seconds: a command imports the modules that need this one only once it has
checked its arguments and data (training.train.main).
"""

from __future__ import annotations

import os

from training import native_stderr_held

__all__ = ["keras", "layers", "ops", "tf"]

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
with native_stderr_held():
    import tensorflow as tf

import keras
from keras import layers, ops
