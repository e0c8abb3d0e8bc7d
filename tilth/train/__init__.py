"""Data–model interaction training: a small readable trainer plus selection, mixture and reweighting modules.

Public API: `train(config, workspace)` runs one training run; `compare(config)` runs strategies × seeds.
"""

from tilth.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    'TrainConfig': 'trainer',
    'Trainer': 'trainer',
    'train': 'trainer',
})

