"""Text log parsers: Windows setupapi.dev.log and Linux/macOS system logs (USB connections)."""

from orderwatch.forensics.parsers.logs import setupapi as setupapi
from orderwatch.forensics.parsers.logs import system_log_usb as system_log_usb
from orderwatch.forensics.parsers.logs import text_lines as text_lines
