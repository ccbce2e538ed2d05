"""What one image may cost: the limits decoding and reading enforce, passed in by
whoever serves (the service's settings) rather than set for the whole process, so two
services in one process keep their own."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_pixels: int = 40_000_000
    # Pixels alone do not bound the cost of an image: a 16-bit or RGBA pixel takes
    # several times the memory of a grey one, decoded and while it is preprocessed.
    max_decoded_bytes: int = 64 * MiB
    large_image_bytes: int = 16 * MiB  # from this size an image needs one of the large-image slots
    max_large_images: int = 2  # large images decoded and preprocessed at once
    large_image_wait_s: float = 0.0  # how long a large image may wait for a slot
    max_digits: int = 20  # most digits read in one image
    large_slots: threading.BoundedSemaphore = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "large_slots", threading.BoundedSemaphore(self.max_large_images))
