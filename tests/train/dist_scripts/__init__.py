"""Scripts that ``torchrun`` launches for tests/train/test_distributed.py (importable for the one-process runs)."""
