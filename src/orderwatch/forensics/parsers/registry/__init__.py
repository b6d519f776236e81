"""Windows registry hive parsers (regipy): SYSTEM, SOFTWARE, SAM and NTUSER.DAT."""

from orderwatch.forensics.parsers.registry import hive_reader as hive_reader
from orderwatch.forensics.parsers.registry import installed_programs as installed_programs
from orderwatch.forensics.parsers.registry import ntuser_hive as ntuser_hive
from orderwatch.forensics.parsers.registry import sam_hive as sam_hive
from orderwatch.forensics.parsers.registry import software_hive as software_hive
from orderwatch.forensics.parsers.registry import system_hive as system_hive
from orderwatch.forensics.parsers.registry import usb_devices as usb_devices
