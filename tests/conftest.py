"""Shared test setup.

The unit tests train tiny models, for which one thread is faster than two and immune to a
busy machine (two processes each spinning two threads on two cores slow down many times).
"""

import torch

torch.set_num_threads(1)
