"""A synthetic public-protection unit for demonstrations and benchmarks (fictional names)."""

from orderwatch.demo.unit import DemoLogin, DemoUnit, build_demo_unit

__all__ = ["DemoLogin", "DemoUnit", "build_demo_unit"]
