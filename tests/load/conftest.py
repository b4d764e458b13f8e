"""The load test reuses the fault tests' private stack and settings."""

from tests.faults.conftest import fault_settings, private, stack_root

__all__ = ["fault_settings", "private", "stack_root"]
