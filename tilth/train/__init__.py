"""Data–model interaction training: a small readable trainer plus selection, mixture and reweighting modules.

Public API: `train(config, workspace)` runs one training run; `compare(config)` runs strategies × seeds.
"""

from tilth.train.trainer import TrainConfig, Trainer, train

__all__ = ["TrainConfig", "Trainer", "train"]
